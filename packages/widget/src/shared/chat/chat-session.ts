import type { Agent, AttachmentParams, Conversation, MessageEvent, StateEvent, WorkspaceFile } from '@metisai/sdk/lean';
import { WidgetConfigError, type ChatConnection } from '../connection/chat-connection.ts';
import { createConnection, type ConnectionSettings } from '../connection/create-connection.ts';
import { Transcript, type StoredEvent } from './transcript.ts';
import { storage } from './local-storage.ts';

/** Stored events loaded at once: the newest page when a conversation opens, then older pages on demand. */
export const HISTORY_PAGE_SIZE = 200;
/** Reconnect backoff: doubling from 500 ms to 10 s, with jitter. */
const RECONNECT_INITIAL_MS = 500;
const RECONNECT_MAX_MS = 10_000;
/** How long a send waits for the stream to open before posting anyway. */
const STREAM_READY_TIMEOUT_MS = 10_000;

/** The most files one message names (the server's `attachments` limit). */
export const MAX_ATTACHMENTS = 20;
/** Where attached files go in the workspace. */
export const ATTACHMENTS_DIR = 'uploads';
/** While the server cannot be reached at start: tries again after this, doubling up to `UNREACHABLE_MAX_MS`. */
const UNREACHABLE_INITIAL_MS = 2_000;
const UNREACHABLE_MAX_MS = 30_000;
/** While the agent is offline (owner mode): its status is read again this often while the chat is shown. */
const AGENT_POLL_MS = 5_000;

/**
 * A file picked for the next message: uploaded into the conversation's workspace at once (`uploading`, with the bytes
 * sent), then `ready` to be named by the message, or `failed` (`code`: over the server's limit, or the upload's error).
 */
export interface Attachment {
  /** A key of this session. */
  id: string;
  name: string;
  /** Bytes. */
  size: number;
  /** Media type the browser gave (the server names its own from the extension). */
  type: string;
  /** The workspace path it is uploaded to (`uploads/<name>`). */
  path: string;
  sentBytes: number;
  status: 'uploading' | 'ready' | 'failed';
  /** Why it failed: `file_too_large` (refused before uploading), or the upload's error code. */
  code?: string | undefined;
}

/**
 * Why the chat cannot talk to its agent now: the agent is not running (stopped, starting, failed) or was deleted, or
 * the server cannot be reached.
 */
export type Unavailability = 'agent' | 'server';

/** An error to show: a code of the message catalog, and the server's message for the console. */
export interface SessionError {
  code: string;
  message: string;
}

/** What the session tells its element (which turns it into DOM events and updates). */
export interface SessionCallbacks {
  onChange(): void;
  onReady(conversationId: string | null): void;
  onError(error: SessionError, isFatal: boolean): void;
  onConversationChange(conversationId: string | null): void;
  onRunStart(conversationId: string): void;
  onRunEnd(conversationId: string, state: StateEvent['state'], reason: string | null | undefined): void;
  /** A stored message arrived on the live stream (not from loading history). */
  onMessage(message: MessageEvent): void;
  /** A message could not be sent: its text goes back to the composer. */
  onSendFailed(text: string): void;
}

/** Why a code should end everything (the element's error state) rather than be shown and retried. */
const FATAL_CODES = new Set([
  'unauthorized',
  'forbidden',
  'not_a_session',
  'missing_server',
  'missing_credentials',
  'api_key_refused',
  'visitor_session_failed',
  // Visitor mode: the page may not embed this agent (a rotated key is only retried: the page may get the new one).
  'origin_required',
  'origin_not_allowed',
  'embed_disabled',
]);

const toSessionError = (error: unknown): SessionError => {
  if (error instanceof WidgetConfigError) return { code: error.code, message: error.message };
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return { code: typeof code === 'string' ? code : 'unknown_error', message };
};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/**
 * One `<metis-chat>`'s conversation with the server: the connection, the current conversation (kept in
 * `localStorage` per server, agent and user), its transcript, and the live stream.
 *
 * The stream is open only while it is needed: the panel is open on a visible page, or a run is going (browsers allow
 * six HTTP/1.1 connections per host across every tab). It closes when the network goes (`offline`) or the page is
 * frozen, and resumes from the last stored event it saw on `online`, `resume`, `pageshow` and `visibilitychange`.
 */
export class ChatSession {
  readonly transcript = new Transcript();
  connection: ChatConnection | undefined;
  agent: Pick<Agent, 'id' | 'name' | 'status'> | undefined;
  conversationId: string | null = null;
  conversations: Conversation[] | undefined;
  /** Set when nothing works (bad configuration, refused credentials): the element shows its error state. */
  fatalError: SessionError | undefined;
  /** The last problem to show (a failed send, a run's error), cleared by the next action. */
  notice: SessionError | undefined;
  isReady = false;
  isSending = false;
  hasEarlier = false;
  isLoadingEarlier = false;
  /** `closed` (not needed), `connecting`, `open`, or `retrying` after a failure. */
  streamStatus: 'closed' | 'connecting' | 'open' | 'retrying' = 'closed';
  isOnline = globalThis.navigator?.onLine ?? true;
  /** Files picked for the next message (uploaded as they are picked). */
  attachments: Attachment[] = [];
  /** The server's largest upload (bytes), from `GET /server-info`; `undefined` until read. */
  uploadLimitBytes: number | undefined;
  /**
   * Set while the agent cannot answer (`agent`: owners read its status; visitors learn it from a refused message) or
   * the server cannot be reached (`server`): the element shows its offline state, and recovers by itself.
   */
  unavailable: Unavailability | undefined;

  readonly #callbacks: SessionCallbacks;
  #settings: ConnectionSettings & { conversation: string | undefined };
  #storageKey: string | undefined;
  #isPanelOpen = false;
  #isPageVisible = globalThis.document?.visibilityState !== 'hidden';
  #isFrozen = false;
  #streamAbort: AbortController | undefined;
  #streamReady: Promise<void> | undefined;
  #resolveStreamReady: (() => void) | undefined;
  #lastState: string | undefined;
  #generation = 0;
  #uploads = new Map<string, AbortController>();
  #creating: Promise<string> | undefined;
  #attachmentCount = 0;
  #recoveryTimer: ReturnType<typeof setTimeout> | undefined;
  #unreachableFailures = 0;

  readonly #pageSize: number;

  readonly #remembers: boolean;

  /**
   * `options.historyPageSize`: stored events per page of history (default `HISTORY_PAGE_SIZE`, at most 1000);
   * `options.remember: false`: the conversation is not kept in `localStorage` (the console's conversation view, which
   * shares its origin with `<metis-chat>` previews).
   */
  constructor(
    settings: ConnectionSettings & { conversation: string | undefined },
    callbacks: SessionCallbacks,
    options: { historyPageSize?: number; remember?: boolean } = {},
  ) {
    this.#settings = settings;
    this.#callbacks = callbacks;
    this.#pageSize = Math.min(1000, options.historyPageSize ?? HISTORY_PAGE_SIZE);
    this.#remembers = options.remember !== false;
  }

  /** Whether the agent refuses messages now (stopped, starting, error, deleted), or the server cannot be reached. */
  get isAgentOffline(): boolean {
    return this.unavailable !== undefined;
  }

  /** Whether a file is still on its way up (the message waits for it). */
  get isUploading(): boolean {
    return this.attachments.some((attachment) => attachment.status === 'uploading');
  }

  /**
   * The composer takes no message: not ready, failed, or the agent known to be offline (owners read its status;
   * a visitor's next message is how the chat learns that the agent is back).
   */
  get isComposerDisabled(): boolean {
    return !this.isReady || Boolean(this.fatalError) || (this.unavailable !== undefined && this.connection?.mode !== 'visitor');
  }

  /** A run is going (or about to: a message is being sent). */
  get isRunActive(): boolean {
    return this.isSending || this.transcript.state === 'running';
  }

  /** Connects: checks the configuration, learns who is chatting and about the agent, reopens the last conversation. */
  async start(): Promise<void> {
    const generation = ++this.#generation;
    try {
      this.connection = createConnection(this.#settings);
      const identity = await this.connection.identity();
      if (generation !== this.#generation) return;
      if (this.#remembers) this.#storageKey = `metis-chat:v1:${this.#settings.server}|${this.#settings.agentId ?? '-'}|${identity}`;
      this.#unreachableFailures = 0;
      this.unavailable = undefined;
      await this.#readAgent();
      if (generation !== this.#generation) return;
      const conversationId = this.#settings.conversation || (this.#storageKey && storage()?.getItem(this.#storageKey)) || null;
      if (conversationId) await this.#open(conversationId, generation);
      if (generation !== this.#generation) return;
      this.isReady = true;
      this.#callbacks.onReady(this.conversationId);
      if (this.#isPanelOpen) void this.loadUploadLimit();
      this.#scheduleRecovery();
    } catch (error) {
      if (generation !== this.#generation) return;
      if (await this.#isServerUnreachable(error)) {
        if (generation !== this.#generation) return;
        // Not a refusal: the server does not answer. The offline state, and another try in a while (or once online).
        this.unavailable = 'server';
        this.#unreachableFailures += 1;
        this.#callbacks.onError(toSessionError(error), false);
        this.#scheduleRecovery();
      } else {
        this.#fail(error);
      }
    }
    this.#changed();
  }

  /**
   * Whether a failure to start is the server not answering (rather than refusing): a network failure whose server
   * does not answer its public `GET /server-info` either. (A refused visitor session is a network failure too, as the
   * server refuses it without CORS headers, but then `/server-info` answers.)
   */
  async #isServerUnreachable(error: unknown): Promise<boolean> {
    const code = toSessionError(error).code;
    if (code !== 'connection_error' && code !== 'timeout' && code !== 'visitor_session_failed') return false;
    try {
      await this.connection?.uploadLimitBytes();
      return false;
    } catch {
      return true;
    }
  }

  /** The agent (owner mode): a deleted one (404) is `unavailable`, as is one that is not running. */
  async #readAgent(): Promise<void> {
    try {
      this.agent = await this.connection?.agent();
    } catch (error) {
      if (toSessionError(error).code !== 'not_found') throw error;
      this.agent = undefined;
      this.unavailable = 'agent';
      return;
    }
    if (this.agent) this.unavailable = this.agent.status === 'running' ? undefined : 'agent';
  }

  /**
   * While unavailable, tries again by itself: the whole start when the server was unreachable (backing off), the
   * agent's status every few seconds while the chat is shown (owner mode). Visitors cannot read the agent's status:
   * their next message tells (a refusal keeps the offline state, an accepted message ends it).
   */
  #scheduleRecovery(): void {
    clearTimeout(this.#recoveryTimer);
    this.#recoveryTimer = undefined;
    if (this.unavailable === 'server' && !this.isReady) {
      const delay = Math.min(UNREACHABLE_MAX_MS, UNREACHABLE_INITIAL_MS * 2 ** Math.max(0, this.#unreachableFailures - 1));
      this.#recoveryTimer = setTimeout(() => void this.start(), delay);
    } else if (this.unavailable === 'agent' && this.connection?.mode === 'owner' && this.#isPanelOpen && this.#isPageVisible) {
      this.#recoveryTimer = setTimeout(() => void this.refreshAgent().then(() => this.#scheduleRecovery()), AGENT_POLL_MS);
    }
  }

  /** Reads the server's upload limit (shown by the composer); a failure leaves it unknown (the server still enforces it). */
  async loadUploadLimit(): Promise<void> {
    if (this.uploadLimitBytes !== undefined || !this.connection) return;
    try {
      this.uploadLimitBytes = await this.connection.uploadLimitBytes();
      this.#changed();
    } catch {
      // Unknown: the server refuses what is too large (413), which the attachment then shows.
    }
  }

  /** Closes everything (the element left the page, or its settings changed). */
  dispose(): void {
    this.#generation += 1;
    clearTimeout(this.#recoveryTimer);
    this.#closeStream();
    for (const upload of this.#uploads.values()) upload.abort();
    this.#uploads.clear();
  }

  /** The panel opened or closed (launcher mode), or the element was connected (inline: always open). */
  setPanelOpen(isOpen: boolean): void {
    if (this.#isPanelOpen === isOpen) return;
    this.#isPanelOpen = isOpen;
    if (isOpen && this.isReady && this.agent) void this.refreshAgent();
    if (isOpen && this.isReady) void this.loadUploadLimit();
    this.#scheduleRecovery();
    this.#syncStream();
  }

  /** `visibilitychange`: a hidden page keeps its stream only while a run is going. */
  setPageVisible(isVisible: boolean): void {
    this.#isPageVisible = isVisible;
    if (this.unavailable !== 'server') this.#scheduleRecovery();
    this.#syncStream();
  }

  /** `online` / `offline`: offline, the stream is closed (the server sees it go); online, it resumes. */
  setOnline(isOnline: boolean): void {
    this.isOnline = isOnline;
    if (!isOnline) this.#closeStream();
    // Back online while the server was unreachable: try at once.
    if (isOnline && this.unavailable === 'server' && !this.isReady) {
      clearTimeout(this.#recoveryTimer);
      void this.start();
    }
    this.#syncStream();
    this.#changed();
  }

  /** `freeze` (the page is suspended: close) and `resume` / `pageshow` from the back-forward cache (reopen). */
  setFrozen(isFrozen: boolean): void {
    this.#isFrozen = isFrozen;
    if (isFrozen) this.#closeStream();
    this.#syncStream();
  }

  /** Reopens the stream from the last event seen, e.g. after the page came back from the background. */
  resume(): void {
    this.#isFrozen = false;
    if (this.#streamAbort) this.#closeStream();
    this.#syncStream();
  }

  /** Re-reads the agent's status (offline or not). */
  async refreshAgent(): Promise<void> {
    if (this.connection?.mode !== 'owner') return;
    try {
      await this.#readAgent();
      this.#changed();
    } catch {
      // Kept as it was; the next action reports the problem.
    }
  }

  /** Switches to a conversation (`null`: a new chat, created by the first message). */
  async setConversation(conversationId: string | null): Promise<void> {
    if (conversationId === this.conversationId) return;
    this.notice = undefined;
    if (conversationId === null) {
      this.#select(null);
      this.#changed();
      return;
    }
    const generation = this.#generation;
    try {
      await this.#open(conversationId, generation);
    } catch (error) {
      this.#report(error);
    }
    this.#changed();
  }

  /** The conversations of this agent (for the list). */
  async loadConversations(): Promise<void> {
    if (!this.connection) return;
    try {
      this.conversations = await this.connection.listConversations();
    } catch (error) {
      this.#report(error);
    }
    this.#changed();
  }

  /** Loads the page of stored events before the first one shown. */
  async loadEarlier(): Promise<void> {
    const first = this.transcript.firstSeq;
    const conversationId = this.conversationId;
    if (!this.connection || !conversationId || first === undefined || first <= 1 || this.isLoadingEarlier) return;
    this.isLoadingEarlier = true;
    this.#changed();
    try {
      const after = Math.max(0, first - 1 - this.#pageSize);
      const page = await this.connection.listEvents(conversationId, after, first - 1 - after);
      if (conversationId === this.conversationId) {
        this.transcript.prepend(page.data as StoredEvent[]);
        this.hasEarlier = after > 0;
      }
    } catch (error) {
      this.#report(error);
    } finally {
      this.isLoadingEarlier = false;
      this.#changed();
    }
  }

  /**
   * Sends a message with the attachments that are ready (none may still be uploading), creating the conversation
   * first when there is none; the run's events come on the stream. `attachments` (a retry's) replaces the picked ones.
   */
  async send(text: string, attachments?: readonly WorkspaceFile[]): Promise<boolean> {
    const content = text.trim();
    const connection = this.connection;
    if (!content || !connection || this.fatalError || this.isSending || this.isUploading) return false;
    this.notice = undefined;
    if (this.unavailable !== undefined && connection.mode !== 'visitor') {
      this.notice = { code: 'agent_offline', message: 'the agent is not running' };
      this.#callbacks.onSendFailed(content);
      this.#changed();
      return false;
    }
    const picked = attachments === undefined;
    const files: WorkspaceFile[] =
      attachments?.map((file) => ({ ...file })) ??
      this.attachments.filter((attachment) => attachment.status === 'ready').map(({ path, size, type }) => ({ path, size, type }));
    this.isSending = true;
    let pendingKey: string | undefined;
    try {
      const conversationId = await this.#ensureConversation();
      pendingKey = this.transcript.addPendingUser(content, files);
      this.#changed();
      this.#syncStream();
      // Post once the stream is open, so the run's first deltas are seen.
      await Promise.race([this.#streamReady, new Promise((resolve) => setTimeout(resolve, STREAM_READY_TIMEOUT_MS))]);
      const refs: AttachmentParams[] = files.map((file) => ({ path: file.path }));
      const message = await connection.sendMessage(conversationId, content, crypto.randomUUID(), refs);
      // The server set `running` with the message, in one transaction: the run is active until its end arrives.
      if (this.conversationId === conversationId && this.transcript.lastSeq < message.seq) this.transcript.setState('running');
      if (picked) this.attachments = this.attachments.filter((attachment) => attachment.status === 'uploading');
      // A visitor's message went through: the agent is back.
      if (this.unavailable === 'agent') this.unavailable = undefined;
      return true;
    } catch (error) {
      if (pendingKey) this.transcript.settleUser(pendingKey);
      const failure = toSessionError(error);
      if (failure.code === 'agent_not_running' || failure.code === 'agent_deleted') {
        // The offline state says it (no alert besides); owners read the status again, and recover when it runs.
        this.unavailable = 'agent';
        this.#callbacks.onError(failure, false);
        if (connection.mode === 'owner') void this.refreshAgent().then(() => this.#scheduleRecovery());
      } else {
        this.#report(error);
      }
      this.#callbacks.onSendFailed(content);
      return false;
    } finally {
      this.isSending = false;
      this.#syncStream();
      this.#changed();
    }
  }

  /**
   * The current conversation's id, creating one first when there is none (a new chat): once, however many callers
   * ask at the same time (files picked together, a message sent meanwhile).
   */
  #ensureConversation(): Promise<string> {
    if (this.conversationId) return Promise.resolve(this.conversationId);
    this.#creating ??= (async () => {
      try {
        const conversation = await this.connection!.createConversation();
        this.#select(conversation.id, { keepAttachments: true });
        this.transcript.setState(conversation.state);
        this.#lastState = conversation.state;
        return conversation.id;
      } finally {
        this.#creating = undefined;
      }
    })();
    return this.#creating;
  }

  /**
   * Picks files for the next message: each is checked against the server's upload limit (one too large is refused
   * before any byte goes, as a `failed` attachment with `file_too_large`), then uploaded into the conversation's
   * workspace at `uploads/<name>` (created first in a new chat), reporting its progress. At most `MAX_ATTACHMENTS`.
   */
  async addFiles(files: readonly File[]): Promise<void> {
    const connection = this.connection;
    if (!connection || this.fatalError || !this.isReady) return;
    this.notice = undefined;
    const room = MAX_ATTACHMENTS - this.attachments.filter((attachment) => attachment.status !== 'failed').length;
    if (files.length > room) this.notice = { code: 'too_many_attachments', message: `at most ${MAX_ATTACHMENTS} files per message` };
    const added = files.slice(0, Math.max(0, room)).map((file) => this.#pick(file));
    this.#changed();
    await Promise.all(added.map((entry) => entry && this.#upload(entry.attachment, entry.file)));
  }

  /** Drops a picked file (an upload on its way is aborted; a file already uploaded stays in the workspace). */
  removeAttachment(id: string): void {
    this.#uploads.get(id)?.abort();
    this.#uploads.delete(id);
    this.attachments = this.attachments.filter((attachment) => attachment.id !== id);
    this.#changed();
  }

  #pick(file: File): { attachment: Attachment; file: File } | undefined {
    this.#attachmentCount += 1;
    const taken = new Set(this.attachments.map((attachment) => attachment.path));
    const name = file.name.replace(/[\\/]/g, '_') || 'file';
    let path = `${ATTACHMENTS_DIR}/${name}`;
    // Two files of one name in one message: the second is `name (2).ext`.
    for (let copy = 2; taken.has(path); copy += 1) path = `${ATTACHMENTS_DIR}/${name.replace(/(\.[^.]*)?$/, ` (${copy})$1`)}`;
    const attachment: Attachment = {
      id: `attachment:${this.#attachmentCount}`,
      name: file.name,
      size: file.size,
      type: file.type || 'application/octet-stream',
      path,
      sentBytes: 0,
      status: 'uploading',
    };
    if (this.uploadLimitBytes !== undefined && file.size > this.uploadLimitBytes) {
      this.attachments = [...this.attachments, { ...attachment, status: 'failed', code: 'file_too_large' }];
      return undefined;
    }
    this.attachments = [...this.attachments, attachment];
    return { attachment, file };
  }

  async #upload(attachment: Attachment, file: File): Promise<void> {
    const abort = new AbortController();
    this.#uploads.set(attachment.id, abort);
    const update = (change: Partial<Attachment>) => {
      this.attachments = this.attachments.map((entry) => (entry.id === attachment.id ? { ...entry, ...change } : entry));
      this.#changed();
    };
    try {
      const conversationId = await this.#ensureConversation();
      if (abort.signal.aborted) return;
      const entry = await this.connection!.uploadFile(conversationId, attachment.path, file, {
        signal: abort.signal,
        onProgress: (sentBytes) => update({ sentBytes }),
      });
      update({ status: 'ready', sentBytes: attachment.size, size: entry.size });
    } catch (error) {
      if (abort.signal.aborted) return;
      const failure = toSessionError(error);
      if (FATAL_CODES.has(failure.code)) return this.#fail(error);
      update({ status: 'failed', code: failure.code === 'payload_too_large' ? 'file_too_large' : failure.code });
    } finally {
      this.#uploads.delete(attachment.id);
    }
  }

  /** Sends the last user message again, with its attachments (after an error or a stop). */
  retry(): Promise<boolean> {
    const last = this.transcript.lastUserItem;
    return last ? this.send(last.content, last.attachments) : Promise.resolve(false);
  }

  /** Stops the run; its end arrives on the stream (`stopped`). */
  async stop(): Promise<void> {
    if (!this.connection || !this.conversationId) return;
    try {
      await this.connection.stop(this.conversationId);
    } catch (error) {
      this.#report(error);
      this.#changed();
    }
  }

  /** Approves or rejects the step a run waits on (owner mode only). */
  async confirm(approve: boolean): Promise<void> {
    if (!this.connection?.canConfirm || !this.conversationId) return;
    try {
      await this.connection.confirm(this.conversationId, approve);
      this.#syncStream();
    } catch (error) {
      this.#report(error);
      this.#changed();
    }
  }

  async #open(conversationId: string, generation: number): Promise<void> {
    const connection = this.connection!;
    let conversation: Conversation;
    try {
      conversation = await connection.getConversation(conversationId);
    } catch (error) {
      // A conversation that is gone (deleted, another user's) is forgotten: the next message starts a new one.
      if ((error as { code?: unknown }).code === 'not_found' && conversationId !== this.#settings.conversation) {
        if (this.#storageKey) storage()?.removeItem(this.#storageKey);
        this.#select(null);
        return;
      }
      throw error;
    }
    const after = Math.max(0, conversation.last_seq - this.#pageSize);
    const page = await connection.listEvents(conversationId, after, this.#pageSize);
    if (generation !== this.#generation) return;
    this.#select(conversationId);
    this.transcript.setState(conversation.state);
    this.transcript.applyStoredPage(page.data as StoredEvent[]);
    this.#lastState = this.transcript.state;
    this.hasEarlier = after > 0;
    this.#syncStream();
  }

  #select(conversationId: string | null, options: { keepAttachments?: boolean } = {}): void {
    this.#closeStream();
    if (!options.keepAttachments) {
      // Picked files belong to the conversation they were uploaded to.
      for (const upload of this.#uploads.values()) upload.abort();
      this.#uploads.clear();
      this.attachments = [];
    }
    this.transcript.reset();
    this.hasEarlier = false;
    this.#lastState = undefined;
    const changed = conversationId !== this.conversationId;
    this.conversationId = conversationId;
    if (this.#storageKey) {
      if (conversationId) storage()?.setItem(this.#storageKey, conversationId);
      else storage()?.removeItem(this.#storageKey);
    }
    if (changed) this.#callbacks.onConversationChange(conversationId);
  }

  #wantsStream(): boolean {
    if (!this.conversationId || this.fatalError || !this.isOnline || this.#isFrozen) return false;
    return (this.#isPanelOpen && this.#isPageVisible) || this.isRunActive;
  }

  #syncStream(): void {
    const wants = this.#wantsStream();
    if (wants && !this.#streamAbort) this.#openStream(this.conversationId!);
    else if (!wants && this.#streamAbort) this.#closeStream();
    if (!this.#streamAbort) this.#streamReady = undefined;
  }

  #openStream(conversationId: string): void {
    const abort = new AbortController();
    this.#streamAbort = abort;
    this.#streamReady = new Promise<void>((resolve) => {
      this.#resolveStreamReady = resolve;
    });
    void this.#streamLoop(conversationId, abort.signal);
  }

  #closeStream(): void {
    this.#streamAbort?.abort();
    this.#streamAbort = undefined;
    this.#resolveStreamReady?.();
    this.#resolveStreamReady = undefined;
    if (this.streamStatus !== 'closed') {
      this.streamStatus = 'closed';
      this.#changed();
    }
  }

  /** One connection after another until aborted: resumes after the last stored event seen. */
  async #streamLoop(conversationId: string, signal: AbortSignal): Promise<void> {
    const connection = this.connection!;
    let failures = 0;
    while (!signal.aborted) {
      this.streamStatus = failures > 0 ? 'retrying' : 'connecting';
      this.#changed();
      const stream = connection.stream(conversationId, this.transcript.lastSeq);
      const onAbort = () => stream.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        this.transcript.beginConnection();
        const iterator = stream[Symbol.asyncIterator]();
        // Reading starts the connection; events wait in the iterator until the boundary is known.
        const first = iterator.next();
        first.catch(() => {});
        await stream.connected;
        const { last_seq: lastSeq, state } = await connection.getConversation(conversationId);
        if (signal.aborted) break;
        this.transcript.setLiveBoundary(lastSeq);
        if (this.transcript.lastSeq >= lastSeq) this.transcript.setState(state);
        failures = 0;
        if (this.unavailable === 'server') this.unavailable = undefined;
        this.streamStatus = 'open';
        this.#resolveStreamReady?.();
        this.#changed();
        for (let result = await first; !result.done; result = await iterator.next()) {
          if (signal.aborted) break;
          this.#handleEvent(result.value as unknown as { type: string; seq?: number });
        }
        if (signal.aborted) break;
      } catch (error) {
        if (signal.aborted) break;
        const failure = toSessionError(error);
        if (FATAL_CODES.has(failure.code)) {
          this.#fail(error);
          break;
        }
        if (failure.code === 'not_found') {
          // Deleted meanwhile: back to a new chat.
          this.#select(null);
          this.#changed();
          break;
        }
        // The server stopped answering (not a refusal): after a few tries, the offline state until the stream opens.
        if ((failure.code === 'connection_error' || failure.code === 'timeout') && failures >= 2 && this.isOnline && !this.unavailable) {
          this.unavailable = 'server';
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        stream.abort();
      }
      failures += 1;
      this.streamStatus = 'retrying';
      this.#changed();
      const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_INITIAL_MS * 2 ** (failures - 1));
      await sleep(delay / 2 + Math.random() * (delay / 2), signal);
    }
  }

  #handleEvent(event: { type: string; seq?: number; [field: string]: unknown }): void {
    if (typeof event.seq === 'number') {
      if (!this.transcript.applyStored(event as StoredEvent)) return;
      if (event.type === 'message') this.#callbacks.onMessage(event as unknown as MessageEvent);
      if (event.type === 'state') this.#handleState(event as unknown as StateEvent);
      if (event.type === 'error' && !['llm_retry', 'llm_context_condensed', 'text_tool_call'].includes(String(event.code))) {
        this.notice = { code: String(event.code), message: String(event.message) };
      }
    } else if (!this.transcript.applyEphemeral(event)) {
      return;
    }
    this.#changed();
  }

  #handleState(event: StateEvent): void {
    const previous = this.#lastState;
    this.#lastState = event.state;
    const conversationId = this.conversationId!;
    if (event.state === 'running' && previous !== 'running') {
      if (event.reason == null) this.notice = undefined;
      this.#callbacks.onRunStart(conversationId);
    } else if (event.state !== 'running' && previous === 'running') {
      this.#callbacks.onRunEnd(conversationId, event.state, event.reason);
    }
    // The run ended: the stream closes unless the panel still wants it.
    queueMicrotask(() => this.#syncStream());
  }

  /** A problem that ends the session (the error state), or one to show. */
  #fail(error: unknown): void {
    const failure = toSessionError(error);
    if (FATAL_CODES.has(failure.code) || !this.isReady) {
      this.fatalError = failure;
      this.#closeStream();
      if (error instanceof WidgetConfigError) console.error(error.message);
      this.#callbacks.onError(failure, true);
    } else {
      this.notice = failure;
      this.#callbacks.onError(failure, false);
    }
    this.#changed();
  }

  #report(error: unknown): void {
    const failure = toSessionError(error);
    if (FATAL_CODES.has(failure.code)) return this.#fail(error);
    this.notice = failure;
    this.#callbacks.onError(failure, false);
  }

  #changed(): void {
    this.#callbacks.onChange();
  }
}

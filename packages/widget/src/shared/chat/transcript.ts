import type { ActionEvent, ConversationState, ErrorEvent, MessageEvent, ObservationEvent, StateEvent, WorkspaceFile } from '@metisai/sdk/lean';

/** Live output kept per running command (its tail): the observation replaces it with the stored output. */
const MAX_LIVE_OUTPUT_CHARS = 64 * 1024;

/** A message the user sent: stored (`seq`), or still being posted (`isPending`), with the workspace files it names. */
export interface UserItem {
  kind: 'user';
  key: string;
  seq: number | undefined;
  content: string;
  /** The files attached (`attachments` of the stored message: path, size, type); empty when none. */
  attachments: readonly WorkspaceFile[];
  isPending: boolean;
}

/**
 * An assistant message: while it streams, the text of its `delta` events (`isStreaming`); once stored, the stored
 * `content`. `isGap` marks a streaming message whose deltas were partly missed (the connection broke): it stops
 * growing and waits for its stored version.
 */
export interface AssistantItem {
  kind: 'assistant';
  key: string;
  seq: number | undefined;
  messageId: string;
  content: string;
  reasoning: string;
  isStreaming: boolean;
  isGap: boolean;
  finishReason: string | null | undefined;
}

/** One tool call: its action, the command's live output while it runs, and its observation once stored. */
export interface ToolItem {
  kind: 'tool';
  key: string;
  seq: number;
  toolCallId: string;
  tool: string;
  args: Record<string, unknown>;
  startedAt: string | undefined;
  /** Output of the `output` events so far (a tail, at most 64 KiB); unused once `observation` is set. */
  liveOutput: string;
  observation: ObservationEvent | undefined;
}

/** An `error` event of the run (`llm_retry` included: the run goes on). */
export interface ErrorItem {
  kind: 'error';
  key: string;
  seq: number;
  code: string;
  message: string;
}

/** A stored event of a type this widget does not know (a newer server's), shown as it came. */
export interface UnknownItem {
  kind: 'unknown';
  key: string;
  seq: number;
  type: string;
  event: Record<string, unknown>;
}

/**
 * A `workspace` event: a repository's clone (its `cloning` progress, then `ready` or `failed`, is one item that each
 * event replaces, keeping its place), instructions loaded, files uploaded. `event` is the latest event as it came.
 */
export interface WorkspaceItem {
  kind: 'workspace';
  key: string;
  seq: number;
  type: 'workspace';
  phase: string;
  event: Record<string, unknown>;
}

export type TranscriptItem = UserItem | AssistantItem | ToolItem | ErrorItem | WorkspaceItem | UnknownItem;

/** A stored event as the widget receives it: a known type, or any other type with the common fields. */
export type StoredEvent = { type: string; seq: number; id: string; created_at?: string };

/** An ephemeral event (`delta`, `reasoning_delta`, `output`, or a newer server's type without `seq`). */
export type EphemeralEvent = { type: string; [field: string]: unknown };

/**
 * A conversation's transcript, built from its stored events (in `seq` order, each once) and its ephemeral ones.
 * Items are immutable: a change replaces the item object, so a view can skip items whose object did not change.
 *
 * Streaming text follows `delta` events by `message_id`, the id of the message event stored when the reply is
 * complete (which then replaces the streamed text). Deltas of a message that began before the current connection
 * (whose start was missed) are not shown until the server's `catch_up` (sent first on a stream that opens while
 * something is in flight) gives its text so far; without one, that message appears when its stored event lands.
 * Live pieces carry their `offset` in the whole text: one that overlaps what is shown is trimmed, and one past its end
 * (a missed piece) stops the message growing until it is stored — nothing is shown twice or out of order.
 */
export class Transcript {
  items: TranscriptItem[] = [];
  /** Highest `seq` applied (0: none). The stream resumes after it. */
  lastSeq = 0;
  /** Lowest `seq` loaded (`undefined`: none); events before it can be loaded with `prepend()`. */
  firstSeq: number | undefined;
  /** The conversation's state from its last `state` event (or as set from the conversation). */
  state: ConversationState | (string & {}) = 'idle';
  reason: string | null | undefined;
  /** Bumped on every change, for views that cache by it. */
  version = 0;

  /** Stored events applied so far, by `seq` (kept to rebuild when older pages are prepended). */
  #stored: StoredEvent[] = [];
  /** Ids of assistant messages already stored: their late deltas are ignored. */
  readonly #storedMessageIds = new Set<string>();
  /** Message ids whose deltas this connection is known to have seen from the start. */
  readonly #trustedMessageIds = new Set<string>();
  /** Message ids seen streaming before this connection was known to be live: shown only once stored. */
  readonly #hiddenMessageIds = new Set<string>();
  /** `seq` after which stored events are known to arrive live on this connection (`Infinity`: not known yet). */
  #liveBoundary = 0;
  #isLive = true;
  #pendingKey = 0;

  /** Forgets everything (another conversation). */
  reset(): void {
    this.items = [];
    this.lastSeq = 0;
    this.firstSeq = undefined;
    this.state = 'idle';
    this.reason = undefined;
    this.#stored = [];
    this.#storedMessageIds.clear();
    this.#trustedMessageIds.clear();
    this.#hiddenMessageIds.clear();
    this.#liveBoundary = 0;
    this.#isLive = true;
    this.#changed();
  }

  /**
   * A new connection is opening (first open, or after a drop): messages streaming now may have lost deltas, so they
   * stop growing until stored, and new messages are trusted only after `setLiveBoundary()`.
   */
  beginConnection(): void {
    this.#isLive = false;
    this.#liveBoundary = Number.POSITIVE_INFINITY;
    this.#trustedMessageIds.clear();
    this.items = this.items.map((item) => {
      if (item.kind === 'assistant' && item.isStreaming && !item.isGap) return { ...item, isGap: true };
      if (item.kind === 'tool' && !item.observation && item.liveOutput !== '') return { ...item, liveOutput: `${item.liveOutput}\n…\n` };
      return item;
    });
    this.#changed();
  }

  /**
   * The conversation's last `seq` read after the connection opened: a stored event past it arrived live, and a message
   * that starts streaming after such an event is seen whole.
   */
  setLiveBoundary(lastSeq: number): void {
    this.#liveBoundary = lastSeq;
    if (this.lastSeq > lastSeq) this.#isLive = true;
  }

  /** Whether deltas of new messages are shown (the connection is known to be live). */
  get isLive(): boolean {
    return this.#isLive;
  }

  /**
   * Takes up a message mid-stream from its text so far (a server's catch-up of in-flight deltas): it is shown with
   * `content` and grows with its next deltas.
   */
  resumeMessage(messageId: string, content: string, reasoning = ''): boolean {
    if (this.#storedMessageIds.has(messageId)) return false;
    this.#hiddenMessageIds.delete(messageId);
    this.#trustedMessageIds.add(messageId);
    const index = this.#streamingIndex(messageId);
    const item: AssistantItem = {
      kind: 'assistant',
      key: `stream:${messageId}`,
      seq: undefined,
      messageId,
      content,
      reasoning,
      isStreaming: true,
      isGap: false,
      finishReason: undefined,
    };
    if (index >= 0) this.items = this.items.with(index, item);
    else this.items = [...this.items, item];
    this.#changed();
    return true;
  }

  /** Takes up a running command's output from what it printed so far (`offset`: where `content` starts in it). */
  resumeOutput(toolCallId: string, content: string, offset = 0): boolean {
    const index = this.items.findLastIndex((item) => item.kind === 'tool' && item.toolCallId === toolCallId);
    const item = this.items[index] as ToolItem | undefined;
    if (!item || item.observation) return false;
    this.items = this.items.with(index, { ...item, liveOutput: offset > 0 ? `…\n${content}` : content });
    this.#changed();
    return true;
  }

  /** The conversation's state as read from the server (before any `state` event of this transcript). */
  setState(state: ConversationState | (string & {}), reason?: string | null): void {
    if (this.state === state && this.reason === reason) return;
    this.state = state;
    this.reason = reason;
    this.#changed();
  }

  /** Shows a message being sent (with the files it names); answers its key for `settleUser()`. */
  addPendingUser(content: string, attachments: readonly WorkspaceFile[] = []): string {
    this.#pendingKey += 1;
    const key = `pending:${this.#pendingKey}`;
    this.items = [...this.items, { kind: 'user', key, seq: undefined, content, attachments, isPending: true }];
    this.#changed();
    return key;
  }

  /** Removes a pending message: stored (its event replaces it) or refused. */
  settleUser(key: string): void {
    const next = this.items.filter((item) => item.key !== key);
    if (next.length === this.items.length) return;
    this.items = next;
    this.#changed();
  }

  /** Applies a stored event (in `seq` order). An event at or before `lastSeq` was applied already and is ignored. */
  applyStored(event: StoredEvent): boolean {
    if (event.seq <= this.lastSeq) return false;
    this.lastSeq = event.seq;
    this.firstSeq ??= event.seq;
    this.#stored.push(event);
    if (!this.#isLive && event.seq > this.#liveBoundary) this.#isLive = true;
    this.#fold(event);
    this.#changed();
    return true;
  }

  /** Applies a page of stored events in order. */
  applyStoredPage(events: readonly StoredEvent[]): void {
    for (const event of events) this.applyStored(event);
  }

  /**
   * Adds older stored events (a page before `firstSeq`): the transcript is rebuilt from every stored event, and
   * what streams now is kept.
   */
  prepend(events: readonly StoredEvent[]): void {
    const first = this.firstSeq ?? Number.POSITIVE_INFINITY;
    const older = events.filter((event) => event.seq < first);
    if (older.length === 0) return;
    const streaming = this.items.filter((item) => item.seq === undefined);
    const liveOutputs = new Map<string, string>();
    for (const item of this.items) if (item.kind === 'tool' && !item.observation) liveOutputs.set(item.toolCallId, item.liveOutput);
    this.#stored = [...older, ...this.#stored];
    this.firstSeq = older[0]!.seq;
    this.items = [];
    this.#storedMessageIds.clear();
    for (const event of this.#stored) this.#fold(event);
    this.items = [
      ...this.items.map((item) =>
        item.kind === 'tool' && liveOutputs.has(item.toolCallId) ? { ...item, liveOutput: liveOutputs.get(item.toolCallId)! } : item,
      ),
      ...streaming,
    ];
    this.#changed();
  }

  /** Applies an ephemeral event. Answers whether the transcript changed. */
  applyEphemeral(event: EphemeralEvent): boolean {
    switch (event.type) {
      case 'delta':
      case 'reasoning_delta':
        return this.#applyDelta(String(event.message_id), String(event.content ?? ''), event.type === 'reasoning_delta', event.offset);
      case 'catch_up':
        if (typeof event.message_id === 'string')
          return this.resumeMessage(event.message_id, String(event.content ?? ''), String(event.reasoning_content ?? ''));
        if (typeof event.tool_call_id === 'string') return this.resumeOutput(event.tool_call_id, String(event.content ?? ''), Number(event.offset ?? 0));
        return false;
      case 'output':
        return this.#applyOutput(String(event.tool_call_id), String(event.content ?? ''));
      default:
        // A newer server's transient event: superseded by what it stores.
        return false;
    }
  }

  /** The last message the user sent (for retry). */
  get lastUserMessage(): string | undefined {
    return this.lastUserItem?.content;
  }

  /** The last message the user sent, with its attachments (retry sends both again). */
  get lastUserItem(): UserItem | undefined {
    return this.items.findLast((item): item is UserItem => item.kind === 'user');
  }

  /** The item a running step is at: a tool without observation, or a streaming message. */
  get activeItem(): TranscriptItem | undefined {
    for (let index = this.items.length - 1; index >= 0; index -= 1) {
      const item = this.items[index]!;
      if (item.kind === 'tool' && !item.observation) return item;
      if (item.kind === 'assistant' && item.isStreaming) return item;
      if (item.seq !== undefined) return undefined;
    }
    return undefined;
  }

  #applyDelta(messageId: string, piece: string, isReasoning: boolean, offset: unknown): boolean {
    let content = piece;
    if (this.#storedMessageIds.has(messageId) || this.#hiddenMessageIds.has(messageId)) return false;
    const index = this.#streamingIndex(messageId);
    if (index < 0) {
      if (!this.#isLive) {
        // It began before this connection: its first deltas were missed.
        this.#hiddenMessageIds.add(messageId);
        return false;
      }
      this.#trustedMessageIds.add(messageId);
      this.items = [
        ...this.items,
        {
          kind: 'assistant',
          key: `stream:${messageId}`,
          seq: undefined,
          messageId,
          content: isReasoning ? '' : content,
          reasoning: isReasoning ? content : '',
          isStreaming: true,
          isGap: false,
          finishReason: undefined,
        },
      ];
      this.#changed();
      return true;
    }
    const item = this.items[index] as AssistantItem;
    if (item.isGap) return false;
    if (typeof offset === 'number') {
      const shown = (isReasoning ? item.reasoning : item.content).length;
      if (offset > shown) {
        // A piece was missed: the message waits for its stored version.
        this.items = this.items.with(index, { ...item, isGap: true });
        this.#changed();
        return true;
      }
      // Overlapping what a catch-up already gave: only the rest is new.
      content = content.slice(shown - offset);
      if (content === '') return false;
    }
    this.items = this.items.with(index, isReasoning ? { ...item, reasoning: item.reasoning + content } : { ...item, content: item.content + content });
    this.#changed();
    return true;
  }

  #applyOutput(toolCallId: string, content: string): boolean {
    const index = this.items.findLastIndex((item) => item.kind === 'tool' && item.toolCallId === toolCallId);
    if (index < 0) return false;
    const item = this.items[index] as ToolItem;
    if (item.observation) return false;
    const output = item.liveOutput + content;
    this.items = this.items.with(index, { ...item, liveOutput: output.length > MAX_LIVE_OUTPUT_CHARS ? output.slice(-MAX_LIVE_OUTPUT_CHARS) : output });
    this.#changed();
    return true;
  }

  #streamingIndex(messageId: string): number {
    return this.items.findLastIndex((item) => item.kind === 'assistant' && item.isStreaming && item.messageId === messageId);
  }

  /** Drops streaming messages that will never be stored (a retried attempt), except `keep`. */
  #dropStaleStreams(keep?: string): void {
    if (!this.items.some((item) => item.kind === 'assistant' && item.isStreaming && item.messageId !== keep)) return;
    this.items = this.items.filter((item) => !(item.kind === 'assistant' && item.isStreaming && item.messageId !== keep));
  }

  /** Inserts a stored item before the streaming ones (which come after every stored event). */
  #insertStored(item: TranscriptItem): void {
    const firstStreaming = this.items.findIndex((existing) => existing.seq === undefined && !(existing.kind === 'user' && existing.isPending));
    if (firstStreaming < 0) this.items = [...this.items, item];
    else this.items = this.items.toSpliced(firstStreaming, 0, item);
  }

  #fold(event: StoredEvent): void {
    switch (event.type) {
      case 'message': {
        const message = event as unknown as MessageEvent;
        if (message.role === 'user') {
          // The pending copy of this message (same text) is replaced by the stored one.
          const pending = this.items.findIndex((item) => item.kind === 'user' && item.isPending && item.content === message.content);
          if (pending >= 0) this.items = this.items.toSpliced(pending, 1);
          this.#insertStored({
            kind: 'user',
            key: `seq:${message.seq}`,
            seq: message.seq,
            content: message.content,
            attachments: message.attachments ?? [],
            isPending: false,
          });
          return;
        }
        this.#storedMessageIds.add(message.id);
        this.#hiddenMessageIds.delete(message.id);
        const item: AssistantItem = {
          kind: 'assistant',
          key: `seq:${message.seq}`,
          seq: message.seq,
          messageId: message.id,
          content: message.content,
          reasoning: message.reasoning_content ?? '',
          isStreaming: false,
          isGap: false,
          finishReason: message.finish_reason,
        };
        const index = this.#streamingIndex(message.id);
        if (index >= 0) this.items = this.items.with(index, { ...item, key: this.items[index]!.key });
        else this.#insertStored(item);
        this.#dropStaleStreams();
        return;
      }
      case 'action': {
        const action = event as unknown as ActionEvent;
        this.#dropStaleStreams();
        this.#insertStored({
          kind: 'tool',
          key: `tool:${action.tool_call_id}`,
          seq: action.seq,
          toolCallId: action.tool_call_id,
          tool: action.tool,
          args: action.args,
          startedAt: action.created_at,
          liveOutput: '',
          observation: undefined,
        });
        return;
      }
      case 'observation': {
        const observation = event as unknown as ObservationEvent;
        const index = this.items.findLastIndex((item) => item.kind === 'tool' && item.toolCallId === observation.tool_call_id);
        if (index >= 0) this.items = this.items.with(index, { ...(this.items[index] as ToolItem), observation, liveOutput: '' });
        else
          this.#insertStored({
            kind: 'tool',
            key: `tool:${observation.tool_call_id}`,
            seq: observation.seq,
            toolCallId: observation.tool_call_id,
            tool: '',
            args: {},
            startedAt: undefined,
            liveOutput: '',
            observation,
          });
        return;
      }
      case 'state': {
        const state = event as unknown as StateEvent;
        this.state = state.state;
        this.reason = state.reason;
        // A run that ended leaves nothing streaming: what was not stored never will be.
        if (state.state !== 'running') this.#dropStaleStreams();
        return;
      }
      case 'error': {
        const error = event as unknown as ErrorEvent;
        // A failed attempt (`llm_retry`): its deltas will not be stored.
        this.#dropStaleStreams();
        const item: ErrorItem = { kind: 'error', key: `seq:${error.seq}`, seq: error.seq, code: error.code, message: error.message };
        // A retry replaces the retry before it, and the run's error its retries (it says how many there were): a
        // failing endpoint shows one line, not one per attempt.
        const last = this.items.findLastIndex((existing) => existing.seq !== undefined);
        const previous = this.items[last];
        if (previous?.kind === 'error' && previous.code === 'llm_retry') this.items = this.items.with(last, item);
        else this.#insertStored(item);
        return;
      }
      case 'workspace': {
        const phase = String((event as { phase?: unknown }).phase);
        const isClone = phase === 'cloning' || phase === 'ready' || phase === 'failed';
        const item: WorkspaceItem = {
          kind: 'workspace',
          key: isClone ? 'workspace:clone' : `seq:${event.seq}`,
          seq: event.seq,
          type: 'workspace',
          phase,
          event: event as unknown as Record<string, unknown>,
        };
        const index = isClone ? this.items.findIndex((existing) => existing.key === item.key) : -1;
        if (index >= 0) this.items = this.items.with(index, item);
        else this.#insertStored(item);
        return;
      }
      default:
        this.#insertStored({ kind: 'unknown', key: `seq:${event.seq}`, seq: event.seq, type: event.type, event: event as unknown as Record<string, unknown> });
    }
  }

  #changed(): void {
    this.version += 1;
  }
}

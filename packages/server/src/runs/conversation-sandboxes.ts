import type { NetworkPolicy, Sandbox, SandboxFiles } from '@metisai/sandbox';
import type { Event as EventJson } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm.ts';
import { type Conversation, ConversationEntity, WorkspaceBaselineFileEntity } from '../entities/index.ts';
import { appendEvent } from '../events/event-log.ts';
import type { SandboxManager } from '../sandboxes/sandbox-manager.ts';
import type { RunSettingsService, VisitorRunLimits } from '../services/run-settings.ts';
import type { ConversationWorkspaces, WorkspaceHandle, WorkspaceStepInput } from '../services/workspaces.ts';
import type { WorkspaceSnapshots } from '../services/workspace-snapshots.ts';
import { snapshotWorkspace } from '../workspaces/workspace-changes.ts';
import { conversationBusy, type RunLock } from './run-lock.ts';

export interface ConversationSandboxesDeps {
  orm: Orm;
  logger: Logger;
  sandboxes: SandboxManager;
  runLock: RunLock;
  runSettings: RunSettingsService;
  /** Forks' workspaces are restored from it; file operations that change files record a snapshot into it. */
  snapshots: WorkspaceSnapshots;
}

/** What a sandbox is acquired with for a conversation. */
export interface ConversationSandboxSettings {
  agentId: string | null;
  sandboxImage: string | undefined;
  /** What the sandbox's network may reach (the agent's `network`). */
  network: NetworkPolicy;
  idleTimeoutSeconds: number;
  /** A run's secrets, exported each time; a file operation exports nothing (the next run does). */
  env?: Record<string, string>;
  /** A visitor's conversation: its sandbox counts against these limits (its agent's embed policy). */
  visitor?: VisitorRunLimits | null;
}

/** Rows of a baseline written per insert. */
const BASELINE_BATCH = 200;

/**
 * A conversation's sandbox as runs and the workspace routes get it: acquired through the sandbox manager (one per
 * conversation and process, serialised), its id and workspace stored on the conversation, and its baseline (what
 * `GET …/changes` compares against) taken once, when the conversation's first sandbox comes up, before anyone writes —
 * or, for a conversation whose repository is being cloned, right after the clone is copied in (`takeBaseline`).
 * File operations take the run lock only to start or create a sandbox that no process holds, so they work during a
 * run too (in this process through the manager, in another through `attachFiles`).
 */
export class ConversationSandboxes implements ConversationWorkspaces {
  readonly #deps: ConversationSandboxesDeps;

  constructor(deps: ConversationSandboxesDeps) {
    this.#deps = deps;
  }

  /** The conversation's sandbox for one holder (a run, a file operation); pair with `release`. */
  async acquire(conversation: Pick<Conversation, 'id' | 'userId' | 'sandboxId' | 'workspace'>, settings: ConversationSandboxSettings): Promise<Sandbox> {
    const sandbox = await this.#deps.sandboxes.acquire({
      conversationId: conversation.id,
      userId: conversation.userId,
      sandboxId: conversation.sandboxId ?? null,
      workspace: conversation.workspace ?? null,
      agentId: settings.agentId,
      image: settings.sandboxImage,
      network: settings.network,
      env: settings.env,
      visitor: settings.visitor
        ? {
            agentId: settings.visitor.agentId,
            visitorId: settings.visitor.visitorId,
            maxPerVisitor: settings.visitor.quotas.visitor_sandboxes,
            maxPerAgent: settings.visitor.quotas.agent_sandboxes,
          }
        : undefined,
      prepare: async (made) => {
        await this.#restoreFork(conversation, made).catch((error: unknown) =>
          this.#deps.logger.warn({ err: error, conversationId: conversation.id }, "restoring the fork's workspace failed; retried once"),
        );
        await this.#takeBaseline(conversation.id, made);
      },
    });
    if (sandbox.id !== conversation.sandboxId || sandbox.workspace !== conversation.workspace) {
      await this.#deps.orm.em.fork().nativeUpdate(ConversationEntity, { id: conversation.id }, { sandboxId: sandbox.id, workspace: sandbox.workspace });
    }
    try {
      // Restored when the sandbox came up; a restore that failed there is tried once more, and the sandbox refused after.
      await this.#restoreFork(conversation, sandbox);
    } catch (error) {
      this.release(conversation.id, settings.idleTimeoutSeconds);
      throw error;
    }
    return sandbox;
  }

  /**
   * A fork's workspace, not restored yet (`restore_seq` set), is made exactly the snapshot at its fork point; then
   * `restore_seq` is cleared. Nothing to do for other conversations.
   */
  async #restoreFork(conversation: Pick<Conversation, 'id' | 'userId'>, sandbox: Sandbox): Promise<void> {
    const em = this.#deps.orm.em.fork();
    const [row] = await em.execute<{ restore_seq: number | null }[]>('select restore_seq from conversations where id = ?', [conversation.id]);
    if (row?.restore_seq === null || row?.restore_seq === undefined) return;
    await this.#deps.snapshots.restore({ id: conversation.id, userId: conversation.userId }, sandbox.files, sandbox.workdir, row.restore_seq);
    await em.execute('update conversations set restore_seq = null where id = ? and restore_seq = ?', [conversation.id, row.restore_seq]);
  }

  release(conversationId: string, idleTimeoutSeconds: number): void {
    this.#deps.sandboxes.release(conversationId, idleTimeoutSeconds);
  }

  /** The conversation is deleted: its sandbox and its workspace go (its baseline rows go with the conversation row). */
  remove(conversation: Pick<Conversation, 'id' | 'sandboxId' | 'workspace'>): Promise<void> {
    return this.#deps.sandboxes.remove(conversation.id, conversation.sandboxId ?? null, conversation.workspace ?? null);
  }

  /** Stores the step's event, then the workspace snapshot at its `seq` (a clone and an upload are snapshot points). */
  async recordStep(conversationId: string, workspace: WorkspaceHandle, input: WorkspaceStepInput): Promise<EventJson> {
    const em = this.#deps.orm.em.fork();
    const event = await appendEvent(em, conversationId, input);
    const [row] = await em.execute<{ user_id: string }[]>('select user_id from conversations where id = ?', [conversationId]);
    if (row) await this.#deps.snapshots.capture({ id: conversationId, userId: row.user_id }, workspace.files, workspace.workdir, event.seq);
    return event;
  }

  /**
   * Takes the baseline now when the conversation has none (see `#takeBaseline`): after a repository is copied into a
   * workspace that came up while it was being cloned — called while the conversation's repository still says
   * `cloning`, so no upload (refused while cloning) can slip in between the copy and the baseline.
   */
  takeBaseline(conversationId: string, sandbox: Sandbox): Promise<void> {
    return this.#takeBaseline(conversationId, sandbox, { cloned: true });
  }

  async open(conversation: Conversation, options: { create: boolean }): Promise<WorkspaceHandle | null> {
    const { runLock, sandboxes } = this.#deps;
    const id = conversation.id;
    for (let attempt = 0; attempt < 3; attempt++) {
      // Held here (a run, another request): share it through the manager, no lock needed.
      if (sandboxes.isLive(id)) return this.#openHere(await this.#reload(id));
      if (await runLock.isHeldElsewhere(id)) {
        // Another process runs (or is starting) the conversation: reach its sandbox without a shell of our own.
        const { sandboxId } = await this.#reload(id);
        if (!sandboxId) {
          if (!options.create) return null;
          throw conversationBusy();
        }
        const attached = await sandboxes.attachFiles(sandboxId);
        return {
          files: attached.files,
          workdir: attached.workdir,
          release: () => undefined,
          recordChange: () => this.#recordChange(conversation, attached.files, attached.workdir),
        };
      }
      const fresh = await this.#reload(id);
      // A fork whose workspace is still to be restored has files before its first sandbox: it is created to show them.
      if (!fresh.sandboxId && !options.create && !(await this.#restorePending(id))) return null;
      // Nobody runs it: start or create it here, under the lock, so no other process starts a run on it meanwhile.
      const taken = await runLock.tryWithRunLock(id, () => this.#openHere(fresh));
      if (taken.taken) return taken.result;
      // Held in this process by a request or run that has not acquired yet: share through the manager.
      if (!(await runLock.isHeldElsewhere(id))) return this.#openHere(fresh);
    }
    throw conversationBusy();
  }

  async #openHere(conversation: Conversation): Promise<WorkspaceHandle> {
    const settings = await this.#deps.runSettings.resolveSandbox(this.#deps.orm.em.fork(), conversation);
    const sandbox = await this.acquire(conversation, settings);
    let isReleased = false;
    return {
      files: sandbox.files,
      workdir: sandbox.workdir,
      recordChange: () => this.#recordChange(conversation, sandbox.files, sandbox.workdir),
      release: () => {
        if (isReleased) return;
        isReleased = true;
        this.release(conversation.id, settings.idleTimeoutSeconds);
      },
    };
  }

  /** A file operation changed the workspace: it is recorded as the state from the conversation's current last `seq` on. */
  async #recordChange(owner: Pick<Conversation, 'id' | 'userId'>, files: SandboxFiles, workdir: string): Promise<void> {
    try {
      const [row] = await this.#deps.orm.em.fork().execute<{ last_seq: number }[]>('select last_seq from conversations where id = ?', [owner.id]);
      if (row) await this.#deps.snapshots.capture({ id: owner.id, userId: owner.userId }, files, workdir, row.last_seq);
    } catch (error) {
      this.#deps.logger.warn({ err: error, conversationId: owner.id }, 'workspace snapshot after a file operation failed');
    }
  }

  async #restorePending(id: string): Promise<boolean> {
    const [row] = await this.#deps.orm.em.fork().execute<{ restore_seq: number | null }[]>('select restore_seq from conversations where id = ?', [id]);
    return row !== undefined && row.restore_seq !== null;
  }

  #reload(id: string): Promise<Conversation> {
    return this.#deps.orm.em.fork().findOneOrFail(ConversationEntity, { id });
  }

  /**
   * Claims the conversation's baseline (one process, once: `baseline_at` is set only where it is null) and stores a
   * snapshot of the workspace as it is now. Not while its repository is being cloned (the conversation `running` with
   * the repository's status `cloning`): the clone takes it once the repository is copied in, so the cloned commit is
   * the baseline (`cloned`: the clone's own call, made before the repository's status leaves `cloning`). A failure
   * leaves an empty baseline: every file then counts as added.
   */
  async #takeBaseline(conversationId: string, sandbox: Sandbox, { cloned = false } = {}): Promise<void> {
    const em = this.#deps.orm.em.fork();
    const whileCloning = cloned ? '' : ` and not (state = 'running' and coalesce(repository->>'status', '') = 'cloning')`;
    const claimed = await em.execute<{ id: string }[]>(
      `update conversations set baseline_at = now() where id = ? and baseline_at is null${whileCloning} returning id`,
      [conversationId],
    );
    if (claimed.length === 0) return;
    try {
      const root = await sandbox.files.realpath(sandbox.workdir);
      const snapshot = await snapshotWorkspace(sandbox.files, root);
      for (let start = 0; start < snapshot.length; start += BASELINE_BATCH) {
        const rows = snapshot.slice(start, start + BASELINE_BATCH).map((file) => ({
          conversationId,
          path: file.path,
          sizeBytes: file.sizeBytes,
          mtimeMs: file.mtimeMs,
          isBinary: file.isBinary,
          content: file.content ? Buffer.from(file.content) : null,
        }));
        await em.insertMany(WorkspaceBaselineFileEntity, rows);
      }
    } catch (error) {
      this.#deps.logger.warn({ err: error, conversationId }, 'taking the workspace baseline failed');
    }
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { ErrorCode, type Event as EventJson } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import { type AgentEmitter, type ConfirmationDecision, type RunAbortReason, runConversation, runEnds } from '../agent/index.ts';
import type { ControlChannel } from '../control/control-channel.ts';
import type { Orm } from '../db/orm.ts';
import { ConversationEntity, type Conversation } from '../entities/index.ts';
import { ConflictError, LlmNotConfiguredError } from '../errors.ts';
import { appendEvent, appendEvents, listEvents, publishEphemeral } from '../events/event-log.ts';
import type { ConversationRuns } from '../services/conversations.ts';
import type { RunSettingsService } from '../services/run-settings.ts';
import type { UsageService } from '../services/usage.ts';
import type { ConversationSandboxes } from './conversation-sandboxes.ts';
import type { RunLock } from './run-lock.ts';

export interface ConversationRunnerDeps {
  orm: Orm;
  logger: Logger;
  runLock: RunLock;
  /** Reaches every process: stop requests for a run another process executes. */
  control: ControlChannel;
  /** Conversations' sandboxes (through the sandbox manager), with their workspaces and baselines. */
  sandboxes: ConversationSandboxes;
  runSettings: RunSettingsService;
  usage: UsageService;
}

interface ActiveRun {
  controller: AbortController;
  /** Known once the run's settings are resolved. */
  agentId: string | null;
  done: Promise<void>;
}

const nothingTo = (what: 'confirm' | 'stop', state: string | undefined) =>
  new ConflictError(
    what === 'confirm' ? ErrorCode.notAwaitingConfirmation : ErrorCode.conversationNotRunning,
    `Nothing to ${what}: the conversation is ${state}`,
    { extra: { current_state: state } },
  );

/**
 * Runs conversations in this process: one run at a time per conversation across every process (`RunLock`), started by
 * a user message or a confirmation, stopped on request (here, or through the control channel in the process that runs
 * it). Each run reads the conversation's whole history, resolves its settings, and stores what the agent loop emits.
 */
export class ConversationRunner implements ConversationRuns {
  readonly #deps: ConversationRunnerDeps;
  readonly #active = new Map<string, ActiveRun>();
  readonly #unsubscribe: () => void;

  constructor(deps: ConversationRunnerDeps) {
    this.#deps = deps;
    this.#unsubscribe = deps.control.on('stop_conversation', ({ conversation_id }) => this.#abort(conversation_id, 'user_stop'));
  }

  /** Stores the user's message and `state: running` in one transaction, then runs. 409 `conversation_busy` while one runs. */
  postMessage(em: EntityManager, conversation: Conversation, content: string): Promise<EventJson> {
    return this.#deps.runLock.withRunLock(conversation.id, async (held) => {
      // Read under the lock: the caller's copy may predate the end of the previous run. Still `running` with the lock
      // free means the process that ran it died.
      const stale = (await this.#currentState(em, conversation.id)) === 'running' ? runEnds.runEndEvents(runEnds.interrupted()) : [];
      const stored = await appendEvents(em, conversation.id, [
        ...stale,
        { type: 'message', role: 'user', content },
        { type: 'state', state: 'running', reason: null },
      ]);
      held.keepUntil(this.#start(conversation.id, undefined));
      return stored.at(-2)!;
    });
  }

  /** Answers the pending action of a conversation in `awaiting_confirmation`, stores `state: running` and resumes the run. */
  async confirm(em: EntityManager, conversation: Conversation, approve: boolean): Promise<void> {
    if (conversation.state !== 'awaiting_confirmation') throw nothingTo('confirm', conversation.state);
    await this.#deps.runLock.withRunLock(conversation.id, async (held) => {
      // Checked again under the lock: a concurrent confirm may have resumed (and ended) the run meanwhile.
      const state = await this.#currentState(em, conversation.id);
      if (state !== 'awaiting_confirmation') throw nothingTo('confirm', state);
      await appendEvent(em, conversation.id, { type: 'state', state: 'running', reason: approve ? 'user_approve' : 'user_reject' });
      held.keepUntil(this.#start(conversation.id, approve ? 'approve' : 'reject'));
    });
  }

  /**
   * Stops the conversation's run: aborts the LLM request and interrupts the running command. A run in another process
   * is asked through the control channel; a conversation waiting for confirmation just stops waiting.
   */
  async stop(em: EntityManager, conversation: Conversation): Promise<void> {
    if (this.#abort(conversation.id, 'user_stop')) return;
    if (conversation.state === 'running' && (await this.#deps.runLock.isHeldElsewhere(conversation.id))) {
      await this.#deps.control.send({ kind: 'stop_conversation', conversation_id: conversation.id });
      return;
    }
    if (conversation.state !== 'running' && conversation.state !== 'awaiting_confirmation') throw nothingTo('stop', conversation.state);
    await this.#deps.runLock.withRunLock(conversation.id, async () => {
      // Checked again under the lock: the run may have ended since the caller read the conversation.
      const state = await this.#currentState(em, conversation.id);
      if (state !== 'running' && state !== 'awaiting_confirmation') throw nothingTo('stop', state);
      await appendEvents(em, conversation.id, runEnds.runEndEvents(runEnds.userStopped()));
    });
  }

  /** Aborts the runs of an agent being stopped or deleted, in this process. */
  stopAgentRunsHere(agentId: string): void {
    for (const run of this.#active.values()) if (run.agentId === agentId) run.controller.abort('user_stop' satisfies RunAbortReason);
  }

  /** The conversation was deleted: its run stops (here or wherever it runs) and its sandbox and workspace go. */
  async forget(conversation: Conversation): Promise<void> {
    const active = this.#active.get(conversation.id);
    if (active) {
      active.controller.abort('user_stop' satisfies RunAbortReason);
      await active.done;
    } else if (conversation.state === 'running') {
      await this.#deps.control.send({ kind: 'stop_conversation', conversation_id: conversation.id });
    }
    await this.#deps.sandboxes.remove(conversation);
  }

  /** Ends every run here as `interrupted` (shutdown) and waits for them. */
  async close(): Promise<void> {
    this.#unsubscribe();
    for (const run of this.#active.values()) run.controller.abort('interrupted' satisfies RunAbortReason);
    await Promise.allSettled([...this.#active.values()].map((run) => run.done));
  }

  /** Aborts the run of `conversationId` if this process runs it. */
  #abort(conversationId: string, reason: RunAbortReason): boolean {
    const active = this.#active.get(conversationId);
    active?.controller.abort(reason);
    return active !== undefined;
  }

  /** Starts the run in the background; resolves when it is over (the caller's lock is released then). */
  #start(conversationId: string, decision: ConfirmationDecision | undefined): Promise<void> {
    const entry: ActiveRun = { controller: new AbortController(), agentId: null, done: Promise.resolve() };
    this.#active.set(conversationId, entry);
    entry.done = this.#run(conversationId, decision, entry)
      .catch((error: unknown) => this.#deps.logger.error({ err: error, conversationId }, 'run crashed'))
      .finally(() => this.#active.delete(conversationId));
    return entry.done;
  }

  async #run(conversationId: string, decision: ConfirmationDecision | undefined, entry: ActiveRun): Promise<void> {
    const em = this.#deps.orm.em.fork();
    const conversation = await em.findOneOrFail(ConversationEntity, { id: conversationId });
    let settings;
    try {
      settings = await this.#deps.runSettings.resolve(em, conversation);
    } catch (error) {
      const end = error instanceof LlmNotConfiguredError ? runEnds.llmNotConfigured(error.message) : runEnds.internalError(error);
      await appendEvents(em, conversationId, runEnds.runEndEvents(end));
      return;
    }
    entry.agentId = settings.agentId;
    const history = (await listEvents(em, conversationId, {})).data;
    let output: Promise<void> = Promise.resolve();
    let hasSandbox = false;
    try {
      await runConversation({
        llm: settings.llm,
        systemPrompt: settings.systemPrompt,
        maxIterations: settings.maxIterations,
        tools: settings.tools,
        confirmationMode: settings.confirmationMode,
        textToolCalls: settings.textToolCalls,
        secrets: settings.secrets,
        history,
        decision,
        signal: entry.controller.signal,
        emitter: this.#emitter(conversationId),
        sandbox: async () => {
          // Read again: a file upload may have created the conversation's sandbox since the run started.
          const current = await em.fork().findOneOrFail(ConversationEntity, { id: conversationId }, { fields: ['sandboxId', 'workspace'] });
          const sandbox = await this.#deps.sandboxes.acquire(current, { ...settings, env: settings.secrets });
          hasSandbox = true;
          return sandbox;
        },
        // A long command's output streams live while it runs (the observation stores it whole at the end).
        // Chained, so chunks are announced in order.
        onCommandOutput: (toolCallId, chunk) => {
          output = output
            .then(() => publishEphemeral(em, { type: 'output', conversation_id: conversationId, tool_call_id: toolCallId, content: chunk }))
            .catch((error: unknown) => this.#deps.logger.warn({ err: error, conversationId }, 'command output not published'));
        },
        onUsage: (usage) =>
          this.#deps.usage
            .record(em.fork(), conversationId, settings.llm.model, usage)
            .catch((error: unknown) => this.#deps.logger.warn({ err: error, conversationId }, 'usage not recorded')),
      });
    } finally {
      if (hasSandbox) this.#deps.sandboxes.release(conversationId, settings.idleTimeoutSeconds);
    }
  }

  /** Stores (and announces) the loop's events; a `state` event also sets the conversation's state (see `appendEvents`). */
  #emitter(conversationId: string): AgentEmitter {
    const em = this.#deps.orm.em.fork();
    return {
      emit: (input) => appendEvent(em, conversationId, input),
      emitDelta: (delta) => publishEphemeral(em, { type: 'delta', conversation_id: conversationId, ...delta }),
      emitReasoningDelta: (delta) => publishEphemeral(em, { type: 'reasoning_delta', conversation_id: conversationId, ...delta }),
    };
  }

  /** The conversation's committed state, read now. */
  async #currentState(em: EntityManager, conversationId: string): Promise<Conversation['state'] | undefined> {
    return (await em.fork().findOne(ConversationEntity, { id: conversationId }, { fields: ['state'] }))?.state;
  }
}

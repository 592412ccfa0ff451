import type { EntityManager } from '@mikro-orm/postgresql';
import { ErrorCode, type Event as EventJson } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import { runConversation, STOP_INTERRUPTED, type AgentEmitter, type ConfirmationDecision } from '../agent/index.ts';
import type { Orm } from '../db/orm.ts';
import { ConversationEntity, type Conversation } from '../entities/index.ts';
import { ApiError } from '../http/api-error.ts';
import { appendEvent, listEvents, publishDelta, publishEphemeral, type EventPayload } from '../services/event-log.ts';
import { resolveRunSettings, LlmNotConfiguredError, type RunSettingsDeps } from './run-settings.ts';
import type { RunLocks } from './run-locks.ts';
import type { SandboxManager } from './sandbox-manager.ts';
import type { EventBus } from '../events/index.ts';

export const runLock = (conversationId: string) => `run:${conversationId}`;

export interface ConversationRunnerDeps extends RunSettingsDeps {
  orm: Orm;
  logger: Logger;
  locks: RunLocks;
  sandboxes: SandboxManager;
  /** Reaches every process: stop requests travel on the events channel. */
  events: EventBus;
}

interface ActiveRun {
  controller: AbortController;
  agentId: string | null;
  done: Promise<void>;
  /** Its final `state` event is stored; only the lock's release remains. */
  isFinishing: boolean;
}

const busy = () =>
  new ApiError(409, ErrorCode.conversationBusy, 'The agent is still working on this conversation; stop it or wait for it to finish', {
    headers: { 'Retry-After': '1' },
  });

/**
 * Runs conversations in this process: one run at a time per conversation across every process (a Postgres
 * advisory lock held for the run), started by a user message or a confirmation, stopped on request.
 */
export class ConversationRunner {
  readonly #deps: ConversationRunnerDeps;
  readonly #active = new Map<string, ActiveRun>();

  readonly #unsubscribe: () => void;

  constructor(deps: ConversationRunnerDeps) {
    this.#deps = deps;
    this.#unsubscribe = deps.events.onControl((control) => {
      if (control.action === 'stop_conversation') this.#active.get(control.id)?.controller.abort('user_stop');
      else this.stopAgentRuns(control.id);
    });
  }

  /** Stores the user's message and starts a run that answers it. 409 `conversation_busy` while one runs. */
  async postMessage(em: EntityManager, conversation: Conversation, content: string): Promise<EventJson> {
    const lock = runLock(conversation.id);
    if (!(await this.#acquireRunLock(conversation.id))) throw busy();
    try {
      // Read under the lock: the caller's copy may predate the end of the previous run.
      if ((await this.#currentState(em, conversation.id)) === 'running') await this.#markInterrupted(em, conversation.id);
      const message = await appendEvent(em, conversation.id, 'message', { role: 'user', content });
      await this.#setState(em, conversation.id, 'running');
      this.#start(conversation.id, undefined);
      return message;
    } catch (error) {
      await this.#deps.locks.release(lock);
      throw error;
    }
  }

  /** Answers the pending action of a conversation in `awaiting_confirmation` and resumes the run. */
  async confirm(em: EntityManager, conversation: Conversation, approve: boolean): Promise<void> {
    const notAwaiting = (state: string | undefined) =>
      new ApiError(409, ErrorCode.notAwaitingConfirmation, `Nothing to confirm: the conversation is ${state}`, {
        extra: { current_state: state },
      });
    if (conversation.state !== 'awaiting_confirmation') throw notAwaiting(conversation.state);
    const lock = runLock(conversation.id);
    if (!(await this.#acquireRunLock(conversation.id))) throw busy();
    try {
      // Checked again under the lock: a concurrent confirm may have resumed (and ended) the run meanwhile.
      const state = await this.#currentState(em, conversation.id);
      if (state !== 'awaiting_confirmation') throw notAwaiting(state);
      await this.#setState(em, conversation.id, 'running');
    } catch (error) {
      await this.#deps.locks.release(lock);
      throw error;
    }
    this.#start(conversation.id, approve ? 'approve' : 'reject');
  }

  /**
   * Stops the conversation's run: aborts the LLM request and interrupts the running command. A run in another
   * process is asked through `onRemoteStop`; a conversation waiting for confirmation just stops waiting.
   */
  async stop(em: EntityManager, conversation: Conversation): Promise<void> {
    const active = this.#active.get(conversation.id);
    if (active) {
      active.controller.abort('user_stop');
      return;
    }
    if (conversation.state === 'running' && (await this.#deps.locks.isHeldElsewhere(runLock(conversation.id)))) {
      await this.#deps.events.sendControl({ action: 'stop_conversation', id: conversation.id });
      return;
    }
    if (conversation.state === 'running' || conversation.state === 'awaiting_confirmation') {
      const lock = runLock(conversation.id);
      if (!(await this.#deps.locks.tryAcquire(lock))) throw busy();
      try {
        // Checked again under the lock: the run may have ended since the caller read the conversation.
        const state = await this.#currentState(em, conversation.id);
        if (state !== 'running' && state !== 'awaiting_confirmation') {
          throw new ApiError(409, ErrorCode.conversationNotRunning, `Nothing to stop: the conversation is ${state}`, {
            extra: { current_state: state },
          });
        }
        await appendEvent(em, conversation.id, 'state', { state: 'stopped', reason: 'user_stop' });
        await this.#setState(em, conversation.id, 'stopped');
      } finally {
        await this.#deps.locks.release(lock);
      }
      return;
    }
    throw new ApiError(409, ErrorCode.conversationNotRunning, `Nothing to stop: the conversation is ${conversation.state}`, {
      extra: { current_state: conversation.state },
    });
  }

  /** Aborts the runs of an agent being stopped or deleted, here. */
  stopAgentRuns(agentId: string): void {
    for (const run of this.#active.values()) if (run.agentId === agentId) run.controller.abort('user_stop');
  }

  /** Asks every process to stop an agent's runs. */
  stopAgentRunsEverywhere(agentId: string): Promise<void> {
    return this.#deps.events.sendControl({ action: 'stop_agent', id: agentId });
  }

  /** The conversation was deleted: its run stops and its sandbox goes. */
  async forget(conversation: Conversation): Promise<void> {
    const active = this.#active.get(conversation.id);
    if (active) {
      active.controller.abort('user_stop');
      await active.done;
    } else if (conversation.state === 'running') {
      await this.#deps.events.sendControl({ action: 'stop_conversation', id: conversation.id });
    }
    await this.#deps.sandboxes.remove(conversation.id, conversation.sandboxId ?? null);
  }

  /** At start: runs left `running` by a process that died (their lock is free) end as `error`/`interrupted`. */
  async recoverInterrupted(): Promise<string[]> {
    const em = this.#deps.orm.em.fork();
    const recovered: string[] = [];
    for (const { id } of await em.find(ConversationEntity, { state: 'running' }, { fields: ['id'] })) {
      const lock = runLock(id);
      if (!(await this.#deps.locks.tryAcquire(lock))) continue;
      try {
        await this.#markInterrupted(em, id);
        recovered.push(id);
      } finally {
        await this.#deps.locks.release(lock);
      }
    }
    if (recovered.length > 0) this.#deps.logger.warn({ conversations: recovered }, 'marked interrupted runs');
    return recovered;
  }

  /** Ends every run here as `interrupted` (shutdown) and waits for them. */
  async close(): Promise<void> {
    this.#unsubscribe();
    for (const run of this.#active.values()) run.controller.abort(STOP_INTERRUPTED);
    await Promise.allSettled([...this.#active.values()].map((run) => run.done));
  }

  #start(conversationId: string, decision: ConfirmationDecision | undefined): void {
    const controller = new AbortController();
    const entry: ActiveRun = { controller, agentId: null, done: Promise.resolve(), isFinishing: false };
    this.#active.set(conversationId, entry);
    entry.done = this.#run(conversationId, decision, entry)
      .catch((error: unknown) => this.#deps.logger.error({ err: error, conversationId }, 'run crashed'))
      .finally(async () => {
        this.#active.delete(conversationId);
        await this.#deps.locks.release(runLock(conversationId));
      });
  }

  async #run(conversationId: string, decision: ConfirmationDecision | undefined, entry: ActiveRun): Promise<void> {
    const em = this.#deps.orm.em.fork();
    const conversation = await em.findOneOrFail(ConversationEntity, { id: conversationId });
    const emitter = this.#emitter(conversationId, entry);
    let settings;
    try {
      settings = await resolveRunSettings(this.#deps, em, conversation);
    } catch (error) {
      const code = error instanceof LlmNotConfiguredError ? error.code : 'internal_error';
      await emitter.emit({ type: 'error', code, message: error instanceof Error ? error.message : String(error) });
      await emitter.emit({ type: 'state', state: 'error', reason: code });
      return;
    }
    entry.agentId = settings.agentId;
    const history = (await listEvents(em, conversationId, { limit: 1_000_000 })).data;
    let output: Promise<void> = Promise.resolve();
    try {
      await runConversation({
        llm: settings.llm,
        systemPrompt: settings.systemPrompt,
        maxIterations: settings.maxIterations,
        tools: settings.tools,
        confirmationMode: settings.confirmationMode,
        secrets: settings.secrets,
        history,
        decision,
        signal: entry.controller.signal,
        emitter,
        sandbox: async () => {
          const sandbox = await this.#deps.sandboxes.acquire({
            conversationId,
            sandboxId: conversation.sandboxId ?? null,
            agentId: settings.agentId,
            image: settings.sandboxImage,
            env: settings.secrets,
            idleTimeoutSeconds: settings.idleTimeoutSeconds,
          });
          if (sandbox.id !== conversation.sandboxId) {
            await em.nativeUpdate(ConversationEntity, { id: conversationId }, { sandboxId: sandbox.id });
          }
          return sandbox;
        },
        // A long command's output streams live while it runs (the observation stores it whole at the end).
        // Chained, so chunks are announced in order.
        onCommandOutput: (toolCallId, chunk) => {
          output = output
            .then(() => publishEphemeral(em, { type: 'output', conversation_id: conversationId, tool_call_id: toolCallId, content: chunk }))
            .catch((error: unknown) => this.#deps.logger.warn({ err: error, conversationId }, 'command output not published'));
        },
        // Each call's usage is a row of llm_calls; the conversation keeps the totals (one statement, so both agree).
        onUsage: (usage) => {
          void em
            .execute(
              `with call as (insert into llm_calls (conversation_id, model, prompt_tokens, completion_tokens) values (?, ?, ?, ?))
               update conversations set prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?, llm_calls = llm_calls + 1
               where id = ?`,
              [conversationId, settings.llm.model, usage.prompt_tokens, usage.completion_tokens, usage.prompt_tokens, usage.completion_tokens, conversationId],
            )
            .catch((error: unknown) => this.#deps.logger.warn({ err: error, conversationId }, 'usage not recorded'));
        },
      });
    } finally {
      this.#deps.sandboxes.release(conversationId, settings.idleTimeoutSeconds);
    }
  }

  /** Stores (and announces) the loop's events; a `state` event also updates the conversation's state. */
  #emitter(conversationId: string, entry: ActiveRun): AgentEmitter {
    const em = this.#deps.orm.em.fork();
    return {
      emit: async (input) => {
        const { type, id, ...payload } = input as { type: EventJson['type']; id?: string } & Record<string, unknown>;
        const event = await appendEvent(em, conversationId, type, payload as EventPayload<typeof type>, { id });
        if (event.type === 'state') {
          await this.#setState(em, conversationId, event.state);
          entry.isFinishing = event.state !== 'running';
        }
        return event;
      },
      emitDelta: (delta) => publishDelta(em, conversationId, delta),
    };
  }

  async #markInterrupted(em: EntityManager, conversationId: string): Promise<void> {
    await appendEvent(em, conversationId, 'error', { code: STOP_INTERRUPTED, message: 'The server restarted during the run; send a message to continue.' });
    await appendEvent(em, conversationId, 'state', { state: 'error', reason: STOP_INTERRUPTED });
    await this.#setState(em, conversationId, 'error');
  }

  /**
   * Takes the conversation's run lock. A run stores its final `state` event a moment before it lets go of the lock,
   * so a client that reacts to that event at once may find the lock still held: when the run here is only finishing,
   * wait for it instead of answering `conversation_busy`.
   */
  async #acquireRunLock(conversationId: string): Promise<boolean> {
    const lock = runLock(conversationId);
    if (await this.#deps.locks.tryAcquire(lock)) return true;
    const active = this.#active.get(conversationId);
    if (!active?.isFinishing) return false;
    await active.done;
    return this.#deps.locks.tryAcquire(lock);
  }

  /** The conversation's committed state, read now. */
  async #currentState(em: EntityManager, conversationId: string): Promise<Conversation['state'] | undefined> {
    const [row] = await em.execute<{ state: Conversation['state'] }[]>('select state from conversations where id = ?', [conversationId]);
    return row?.state;
  }

  async #setState(em: EntityManager, conversationId: string, state: Conversation['state']): Promise<void> {
    await em.nativeUpdate(ConversationEntity, { id: conversationId }, { state });
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sandbox } from '@metisai/sandbox';
import { ErrorCode, type Event as EventJson, type WorkspaceFile } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import {
  type AgentEmitter,
  type ConfirmationDecision,
  type LlmCallOutcome,
  type RunAbortReason,
  type RunEnd,
  runConversation,
  runEnds,
  type TokenUsage,
} from '../agent/index.ts';
import { answerCatchUp } from '../control/catch-up.ts';
import type { ControlChannel } from '../control/control-channel.ts';
import type { Orm } from '../db/orm.ts';
import { AgentEntity, ConversationEntity, type Conversation } from '../entities/index.ts';
import { ConflictError, LlmNotConfiguredError, QuotaExceededError } from '../errors.ts';
import type { EventInput } from '../events/event-input.ts';
import { appendEvent, appendEvents, listEvents, publishEphemeral } from '../events/event-log.ts';
import { agentRefusal } from '../services/agents.ts';
import { type ConversationRuns, repositoryJson } from '../services/conversations.ts';
import type { EmbedQuotaService } from '../services/embed-quotas.ts';
import type { QuotaService } from '../services/quotas.ts';
import type { RunSettingsService } from '../services/run-settings.ts';
import type { UsageService } from '../services/usage.ts';
import type { SandboxManager } from '../sandboxes/sandbox-manager.ts';
import type { ConfirmationTimeouts } from './confirmation-timeouts.ts';
import type { WorkspaceSnapshots } from '../services/workspace-snapshots.ts';
import type { ConversationSandboxes } from './conversation-sandboxes.ts';
import { InFlightText } from './in-flight-text.ts';
import { abandonedCloneEvents, type RepositorySetup } from './repository-setup.ts';
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
  /** Concurrent runs, events per conversation and workspace size. */
  quotas: QuotaService;
  /** Where runs record their workspace after each file-changing step (forks restore from it). */
  snapshots: WorkspaceSnapshots;
  /** Visitors' messages and tokens (conversations of embedded agents). */
  embedQuotas: EmbedQuotaService;
  /** Rejects visitors' actions left unconfirmed too long. */
  confirmations: ConfirmationTimeouts;
  /** The sandbox manager itself, for the visitors' sandbox limits checked before a message is stored. */
  sandboxManager: SandboxManager;
  /** Clones a new conversation's repository into its workspace. */
  repositories: RepositorySetup;
  /** Told of every LLM call of a run and its tokens, by the provider's base URL (the server's metrics). */
  llmCalls?: LlmCallObserver;
}

/** Sees every LLM call of the runs (`baseUrl` is the provider's, with `/v1`). Must not throw. */
export interface LlmCallObserver {
  call(baseUrl: string, outcome: LlmCallOutcome): void;
  tokens(baseUrl: string, usage: TokenUsage): void;
}

interface ActiveRun {
  controller: AbortController;
  userId: string;
  /** Known once the run's settings are resolved (at once for a run that waits for its agent). */
  agentId: string | null;
  /** What the run streamed that is not stored yet, for streams that open mid-answer (`catch_up`). */
  inFlight: InFlightText;
  done: Promise<void>;
}

/** The reason of the `state: running` event of messages that wait for their agent to start. */
const WAITING_FOR_AGENT = 'waiting_for_agent';
/** The reason of the `state: running` event of a conversation whose repository is being cloned. */
const WAITING_FOR_WORKSPACE = 'waiting_for_workspace';
/** Reasons of a run that messages join (stored under the conversation's row lock, see `#queueBehindWaitingRun`). */
const JOINABLE: readonly (string | null | undefined)[] = [WAITING_FOR_AGENT, WAITING_FOR_WORKSPACE];

/** What a run waits for before it reads its history: its repository's clone, then its agent's start. */
interface RunWaits {
  workspace: boolean;
  /** The agent whose start the run waits for. */
  agentId: string | null;
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
 *
 * A message sent while the conversation's agent is `starting` is stored with `state: running` / `waiting_for_agent`;
 * its run holds the run lock and waits until the agent's start is over (the control channel's `agent_status`, sent by
 * whichever process finished it), then stores `state: running` and runs — or ends `agent_start_failed` when the start
 * failed, `user_stop` when the agent was stopped. Messages sent meanwhile join the waiting run, in order.
 *
 * A conversation created with a repository starts the same way, as a run that waits for its workspace
 * (`waiting_for_workspace`): it clones the repository (`RepositorySetup`) while messages sent meanwhile join it, then
 * runs them (after the agent's start, if it is starting), or ends `idle` / `workspace_ready` when none came. A stop
 * cancels the clone; a failed clone ends the run `error` / `clone_failed`.
 */
export class ConversationRunner implements ConversationRuns {
  readonly #deps: ConversationRunnerDeps;
  readonly #active = new Map<string, ActiveRun>();
  /** Runs waiting for their agent's start, by agent: each is called to look at the agent's status again. */
  readonly #waiting = new Map<string, Set<() => void>>();
  readonly #unsubscribe: Array<() => void>;

  constructor(deps: ConversationRunnerDeps) {
    this.#deps = deps;
    this.#unsubscribe = [
      deps.control.on('stop_conversation', ({ conversation_id }) => this.#abort(conversation_id, 'user_stop')),
      deps.control.on('agent_status', ({ agent_id }) => this.#wake(agent_id)),
      deps.control.on('catch_up_request', ({ conversation_id, request_id }) => this.#answerCatchUp(conversation_id, request_id)),
      // Messages sent while the LISTEN connection was down are lost: every waiting run looks again.
      deps.control.onReconnect(() => {
        for (const agentId of this.#waiting.keys()) this.#wake(agentId);
      }),
    ];
  }

  /**
   * Stores the user's message and `state: running` in one transaction, then runs; while the agent is `starting`, the
   * state's reason is `waiting_for_agent` and the run waits for it. 409 `conversation_busy` while a run goes on — but a
   * message to a conversation whose run still waits for its agent joins that run. 429 `quota_exceeded` when the user
   * runs the most conversations allowed at once, the log holds the most events allowed, or the workspace measured over
   * its limit — for a visitor's conversation, instead of the runs, when a quota of its agent's embed policy is reached
   * (messages, tokens, sandboxes; with `Retry-After`).
   */
  async postMessage(em: EntityManager, conversation: Conversation, content: string, attachments?: WorkspaceFile[]): Promise<EventJson> {
    const message = { type: 'message' as const, role: 'user' as const, content, ...(attachments?.length ? { attachments } : {}) };
    const visitor = await this.#deps.runSettings.visitorLimits(em, conversation);
    if (visitor) {
      const refusal = await this.#deps.sandboxManager.visitorSandboxRefusal(
        {
          agentId: visitor.agentId,
          visitorId: visitor.visitorId,
          maxPerVisitor: visitor.quotas.visitor_sandboxes,
          maxPerAgent: visitor.quotas.agent_sandboxes,
        },
        conversation.id,
        conversation.sandboxId ?? null,
      );
      // Sandboxes stop after the agent's idle timeout: by then one is free again.
      if (refusal) throw new QuotaExceededError(refusal.quota, refusal.limit, refusal.current, refusal.message, visitor.idleTimeoutSeconds);
    }
    try {
      return await this.#deps.runLock.withRunLock(conversation.id, async (held) => {
        // Read under the lock: the caller's copy may predate the end of the previous run. Still `running` with the lock
        // free means the process that ran it died.
        const current = await this.#current(em, conversation.id);
        this.#deps.quotas.checkEventCount(current);
        this.#deps.quotas.checkWorkspace(current, await this.#deps.snapshots.bytesOf(em.fork(), conversation.id));
        const stale =
          current.state === 'running' ? [...(await abandonedCloneEvents(em.fork(), conversation.id)), ...runEnds.runEndEvents(runEnds.interrupted())] : [];
        // Read again under the lock too: the agent's start may have ended since the caller looked.
        const waitFor = conversation.agentId ? await this.#waitsForAgent(em, conversation.agentId) : null;
        const stored = await this.#startRunning(
          em,
          conversation,
          [...stale, message, { type: 'state', state: 'running', reason: waitFor ? WAITING_FOR_AGENT : null }],
          true,
        );
        held.keepUntil(this.#start(conversation, undefined, { workspace: false, agentId: waitFor }));
        return stored.at(-2)!;
      });
    } catch (error) {
      if (!(error instanceof ConflictError && error.code === ErrorCode.conversationBusy)) throw error;
      const queued = await this.#queueBehindWaitingRun(em, conversation, message);
      if (!queued) throw error;
      return queued;
    }
  }

  /**
   * Starts cloning the new conversation's repository (`conversations.repository`, status `cloning`): stores a
   * `workspace` / `cloning` event and `state: running` / `waiting_for_workspace` (counted as one of the user's running
   * conversations: 429 `quota_exceeded` past the limit), then clones in the background, in this process.
   */
  async setUpRepository(em: EntityManager, conversation: Conversation): Promise<void> {
    const repository = conversation.repository;
    if (!repository) return;
    await this.#deps.runLock.withRunLock(conversation.id, async (held) => {
      await this.#startRunning(
        em,
        conversation,
        [
          { type: 'workspace', phase: 'cloning', repository: repositoryJson(repository), received_objects: 0, received_bytes: 0 },
          { type: 'state', state: 'running', reason: WAITING_FOR_WORKSPACE },
        ],
        false,
      );
      held.keepUntil(this.#start(conversation, undefined, { workspace: true, agentId: null }));
    });
  }

  /** An agent's start or stop is over: runs waiting for it, here and in every other process, look at its status. */
  async agentSettled(agentId: string): Promise<void> {
    this.#wake(agentId);
    await this.#deps.control.send({ kind: 'agent_status', agent_id: agentId });
  }

  /** Answers the pending action of a conversation in `awaiting_confirmation`, stores `state: running` and resumes the run. */
  async confirm(em: EntityManager, conversation: Conversation, approve: boolean): Promise<void> {
    if (conversation.state !== 'awaiting_confirmation') throw nothingTo('confirm', conversation.state);
    await this.#deps.runLock.withRunLock(conversation.id, async (held) => {
      // Checked again under the lock: a concurrent confirm may have resumed (and ended) the run meanwhile.
      const state = await this.#currentState(em, conversation.id);
      if (state !== 'awaiting_confirmation') throw nothingTo('confirm', state);
      await this.#startRunning(em, conversation, [{ type: 'state', state: 'running', reason: approve ? 'user_approve' : 'user_reject' }], false);
      held.keepUntil(this.#start(conversation, approve ? 'approve' : 'reject', { workspace: false, agentId: null }));
    });
  }

  /**
   * Stops the conversation's run: aborts the LLM request and interrupts the running command. A run in another process
   * is asked through the control channel; a conversation waiting for confirmation just stops waiting.
   */
  async stop(em: EntityManager, conversation: Conversation): Promise<void> {
    // A run whose end is already stored (the state read says so) may not have left `#active` yet: nothing to stop then
    // (a second stop answered 202 instead of conversation_not_running in that moment).
    const isLive = conversation.state === 'running' || conversation.state === 'awaiting_confirmation';
    if (isLive && this.#abort(conversation.id, 'user_stop')) return;
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

  /** Aborts the runs of a user's conversations in this process (their account is going) and waits for them to end. */
  async stopUserRunsHere(userId: string): Promise<void> {
    const runs = [...this.#active.values()].filter((run) => run.userId === userId);
    for (const run of runs) run.controller.abort('user_stop' satisfies RunAbortReason);
    await Promise.allSettled(runs.map((run) => run.done));
  }

  /** Aborts the runs of an agent being stopped or deleted, in this process. */
  stopAgentRunsHere(agentId: string): void {
    for (const run of this.#active.values()) if (run.agentId === agentId) run.controller.abort('user_stop' satisfies RunAbortReason);
  }

  /** The conversation was deleted: its run stops (here or wherever it runs) and its sandbox and workspace go. */
  async forget(conversation: Pick<Conversation, 'id' | 'state' | 'sandboxId' | 'workspace'>): Promise<void> {
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
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const run of this.#active.values()) run.controller.abort('interrupted' satisfies RunAbortReason);
    await Promise.allSettled([...this.#active.values()].map((run) => run.done));
  }

  /** Aborts the run of `conversationId` if this process runs it. */
  #abort(conversationId: string, reason: RunAbortReason): boolean {
    const active = this.#active.get(conversationId);
    active?.controller.abort(reason);
    return active !== undefined;
  }

  /** Another process opens a stream of a conversation: if its run is here, tell what it has in flight. */
  #answerCatchUp(conversationId: string, requestId: string): void {
    const active = this.#active.get(conversationId);
    if (!active) return;
    answerCatchUp(this.#deps.control, conversationId, requestId, active.inFlight.pieces()).catch((error: unknown) =>
      this.#deps.logger.warn({ err: error, conversationId }, 'catch-up not answered'),
    );
  }

  /**
   * Appends the events that put the conversation in `running`, in one transaction with the check that the user runs
   * fewer conversations than allowed (under their `runs` lock, so two processes cannot both take the last place). A
   * visitor's conversation counts against its agent's embed quotas instead, and a visitor's message (`isMessage`) is
   * admitted and counted there.
   */
  #startRunning(em: EntityManager, conversation: Conversation, inputs: Parameters<typeof appendEvents>[2], isMessage: boolean): Promise<EventJson[]> {
    return em.transactional(async (tx) => {
      const visitor = await this.#deps.runSettings.visitorLimits(tx, conversation);
      if (visitor) {
        if (isMessage) await this.#deps.embedQuotas.admitMessage(tx, visitor);
      } else {
        await this.#deps.quotas.lock(tx, 'runs', conversation.userId);
        await this.#deps.quotas.checkRunCount(tx, conversation.userId, conversation.id);
      }
      return appendEvents(tx, conversation.id, inputs);
    });
  }

  /**
   * Starts the run in the background; resolves when it is over (the caller's lock is released then). `waits`: what the
   * run waits for first (its repository's clone, its agent's start).
   */
  #start(conversation: Conversation, decision: ConfirmationDecision | undefined, waits: RunWaits): Promise<void> {
    const conversationId = conversation.id;
    const entry: ActiveRun = {
      controller: new AbortController(),
      userId: conversation.userId,
      agentId: waits.agentId,
      inFlight: new InFlightText(),
      done: Promise.resolve(),
    };
    this.#active.set(conversationId, entry);
    entry.done = this.#run(conversationId, decision, entry, waits)
      .catch((error: unknown) => this.#deps.logger.error({ err: error, conversationId }, 'run crashed'))
      .finally(() => this.#active.delete(conversationId));
    return entry.done;
  }

  async #run(conversationId: string, decision: ConfirmationDecision | undefined, entry: ActiveRun, waits: RunWaits): Promise<void> {
    const em = this.#deps.orm.em.fork();
    let waitFor = waits.agentId;
    if (waits.workspace) {
      const end = await this.#deps.repositories.run(conversationId, entry.controller.signal);
      if (!this.#deps.runLock.isHeldHere(conversationId)) {
        this.#deps.logger.warn({ conversationId }, 'lost the run lock while cloning the repository; the run is left to recovery');
        return;
      }
      if (end) {
        if (await em.fork().count(ConversationEntity, { id: conversationId })) await appendEvents(em, conversationId, runEnds.runEndEvents(end));
        return;
      }
      const next = await this.#afterWorkspace(em, conversationId);
      if (next === 'idle') return;
      waitFor = next === 'run' ? null : next;
      entry.agentId = waitFor;
    }
    if (waitFor) {
      const end = await this.#waitForAgent(waitFor, entry.controller.signal);
      if (!this.#deps.runLock.isHeldHere(conversationId)) {
        // The lock connection was lost meanwhile: to every other process this run is dead, and recovery ends it.
        this.#deps.logger.warn({ conversationId }, 'lost the run lock while waiting for the agent; the run is left to recovery');
        return;
      }
      if (end) {
        // A deleted conversation (its run was stopped for that) has nowhere to store its end.
        if (await em.fork().count(ConversationEntity, { id: conversationId })) await appendEvents(em, conversationId, runEnds.runEndEvents(end));
        return;
      }
      // From here on, messages no longer join this run (see `#queueBehindWaitingRun`): it reads its history now.
      await appendEvent(em, conversationId, { type: 'state', state: 'running', reason: null });
    }
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
    const budget = settings.maxBudgetTokens;
    const used = () => conversation.promptTokens + conversation.completionTokens;
    if (budget !== undefined && used() >= budget) {
      await appendEvents(em, conversationId, runEnds.runEndEvents(runEnds.budgetExhausted(budget)));
      return;
    }
    const history = (await listEvents(em, conversationId, {})).data;
    let output: Promise<void> = Promise.resolve();
    let acquired: Sandbox | undefined;
    let recorded = used();
    const visitor = settings.visitor;
    // A visitor's run stops once it used the tokens its agent still allows today (the visitor's or all visitors').
    let visitorTokensLeft = visitor ? await this.#deps.embedQuotas.tokensLeft(em, visitor) : Number.POSITIVE_INFINITY;
    let result: Awaited<ReturnType<typeof runConversation>> | undefined;
    try {
      result = await runConversation({
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
        emitter: this.#emitter(conversationId, entry.controller, entry.inFlight),
        snapshots: this.#deps.snapshots.forRun({ id: conversationId, userId: conversation.userId }),
        sandbox: async () => {
          // Read again: a file upload may have created the conversation's sandbox since the run started.
          const current = await em.fork().findOneOrFail(ConversationEntity, { id: conversationId }, { fields: ['userId', 'sandboxId', 'workspace'] });
          const sandbox = await this.#deps.sandboxes.acquire(current, { ...settings, env: settings.secrets, visitor: settings.visitor });
          acquired = sandbox;
          return sandbox;
        },
        // A long command's output streams live while it runs (the observation stores it whole at the end).
        // Chained, so chunks are announced in order.
        onCommandOutput: (toolCallId, chunk) => {
          // Its place in the whole output is taken now, in the order chunks come.
          const offset = entry.inFlight.add('output', toolCallId, chunk);
          output = output
            .then(() => publishEphemeral(em, { type: 'output', conversation_id: conversationId, tool_call_id: toolCallId, content: chunk, offset }))
            .catch((error: unknown) => this.#deps.logger.warn({ err: error, conversationId }, 'command output not published'));
        },
        onLlmCall: (outcome) => this.#deps.llmCalls?.call(settings.llm.baseURL, outcome),
        onUsage: (usage) => {
          this.#deps.llmCalls?.tokens(settings.llm.baseURL, usage);
          // The budget is checked against the conversation's recorded total: the run stops once it is reached.
          const tokens = usage.prompt_tokens + usage.completion_tokens;
          recorded += tokens;
          if (budget !== undefined && recorded >= budget) entry.controller.abort('budget' satisfies RunAbortReason);
          visitorTokensLeft -= tokens;
          if (visitorTokensLeft <= 0 && !entry.controller.signal.aborted) entry.controller.abort('visitor_tokens' satisfies RunAbortReason);
          const recordings = [this.#deps.usage.record(em.fork(), conversationId, settings.llm.model, usage)];
          if (visitor) recordings.push(this.#deps.embedQuotas.recordTokens(em.fork(), visitor.agentId, visitor.visitorId, tokens));
          return Promise.all(recordings).then(
            () => undefined,
            (error: unknown) => this.#deps.logger.warn({ err: error, conversationId }, 'usage not recorded'),
          );
        },
      });
    } finally {
      if (acquired && entry.controller.signal.reason !== 'interrupted') await this.#measureWorkspace(em, conversationId, acquired);
      if (acquired) this.#deps.sandboxes.release(conversationId, settings.idleTimeoutSeconds);
    }
    // Only the owner may confirm a visitor's action: unanswered, it is rejected after the policy's timeout.
    if (visitor && result?.state === 'awaiting_confirmation') {
      this.#deps.confirmations.schedule(conversationId, Date.now() + visitor.confirmationTimeoutSeconds * 1000);
    }
  }

  /**
   * Measures the workspace after a run (`du -sb` in the sandbox's shell, free now that the run is over) and stores it
   * on the conversation: the next message is refused when it is over `QUOTA_WORKSPACE_BYTES`. A measurement that
   * cannot be made (a command still running in the background, a sandbox gone) is skipped and logged.
   */
  async #measureWorkspace(em: EntityManager, conversationId: string, sandbox: Sandbox): Promise<void> {
    try {
      const workdir = `'${sandbox.workdir.replaceAll("'", "'\\''")}'`;
      const result = await sandbox.shell.execute({ command: `du -sb -- ${workdir} 2>/dev/null | cut -f1`, timeout: 60 });
      const bytes = Number(/^\s*(\d+)\s*$/m.exec(result.output)?.[1]);
      if (result.status !== 'completed' || !Number.isSafeInteger(bytes)) {
        this.#deps.logger.warn({ conversationId, status: result.status }, 'workspace size not measured');
        return;
      }
      await em.fork().nativeUpdate(ConversationEntity, { id: conversationId }, { workspaceBytes: bytes, workspaceMeasuredAt: new Date() });
    } catch (error) {
      this.#deps.logger.warn({ err: error, conversationId }, 'workspace size not measured');
    }
  }

  /**
   * Stores (and announces) the loop's events; a `state` event also sets the conversation's state (see `appendEvents`).
   * Once the log holds `QUOTA_EVENTS_PER_CONVERSATION` events the run is aborted: it ends cleanly with
   * `quota_exceeded`, writing only what ends it (the running command's observation, the error and the final state).
   */
  #emitter(conversationId: string, controller: AbortController, inFlight: InFlightText): AgentEmitter {
    const em = this.#deps.orm.em.fork();
    const limit = this.#deps.quotas.limits.eventsPerConversation;
    return {
      emit: async (input) => {
        const event = await appendEvent(em, conversationId, input);
        // The loop stores nothing while a reply or a command streams: what streamed is in this event, or abandoned.
        inFlight.clear();
        if (event.seq >= limit && !controller.signal.aborted) {
          this.#deps.logger.warn(
            { security_event: 'quota_exceeded', conversation_id: conversationId, quota: 'events', limit, current: event.seq },
            'security: quota_exceeded',
          );
          controller.abort('quota_exceeded' satisfies RunAbortReason);
        }
        return event;
      },
      emitDelta: (delta) => {
        const offset = inFlight.add('delta', delta.message_id, delta.content);
        return publishEphemeral(em, { type: 'delta', conversation_id: conversationId, ...delta, offset });
      },
      emitReasoningDelta: (delta) => {
        const offset = inFlight.add('reasoning_delta', delta.message_id, delta.content);
        return publishEphemeral(em, { type: 'reasoning_delta', conversation_id: conversationId, ...delta, offset });
      },
    };
  }

  /**
   * The agent whose start a new run must wait for (`agentId` when it is `starting`), null when it runs. Throws the
   * refusal when it can take no message (its start failed, or it was stopped, since the caller looked).
   */
  async #waitsForAgent(em: EntityManager, agentId: string): Promise<string | null> {
    const refusal = await agentRefusal(em.fork(), agentId, ['running', 'starting']);
    if (refusal) throw refusal;
    const agent = await em.fork().findOne(AgentEntity, { id: agentId }, { fields: ['status'] });
    return agent?.status === 'starting' ? agentId : null;
  }

  /**
   * Waits until the agent's start is over: null when it runs, else how the run ends (`agent_start_failed` with the
   * agent's `status_message`, `user_stop` when it was stopped or deleted, or as the run's abort says). Looks at the
   * agent's status at once and each time `#wake` says it may have changed.
   */
  #waitForAgent(agentId: string, signal: AbortSignal): Promise<RunEnd | null> {
    return new Promise((resolve) => {
      let settled = false;
      let looking = false;
      let again = false;
      const waiters = this.#waiting.get(agentId) ?? new Set();
      this.#waiting.set(agentId, waiters);
      const finish = (end: RunEnd | null) => {
        if (settled) return;
        settled = true;
        waiters.delete(look);
        if (waiters.size === 0 && this.#waiting.get(agentId) === waiters) this.#waiting.delete(agentId);
        signal.removeEventListener('abort', onAbort);
        resolve(end);
      };
      const onAbort = () => finish(runEnds.aborted(signal.reason));
      const look = () => {
        if (settled) return;
        // One look at a time; a wake during a look makes it look once more.
        if (looking) {
          again = true;
          return;
        }
        looking = true;
        void (async () => {
          try {
            do {
              again = false;
              const agent = await this.#deps.orm.em.fork().findOne(AgentEntity, { id: agentId }, { fields: ['status', 'statusMessage', 'deletedAt'] });
              if (!agent || agent.deletedAt || agent.status === 'stopped' || agent.status === 'stopping') return finish(runEnds.userStopped());
              if (agent.status === 'error') return finish(runEnds.agentStartFailed(agent.statusMessage ?? null));
              if (agent.status === 'running') return finish(null);
            } while (again && !settled);
          } catch (error) {
            this.#deps.logger.warn({ err: error, agentId }, 'could not read the status of the agent a run waits for; waiting for the next change');
          } finally {
            looking = false;
          }
        })();
      };
      waiters.add(look);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      else look();
    });
  }

  /**
   * The repository is in the workspace: under the conversation's row lock (see `#queueBehindWaitingRun`), ends the run
   * `idle` / `workspace_ready` when no message came meanwhile (`'idle'`); else answers what the run does with them:
   * `'run'` (stored `state: running`, reason null: the agent runs, or the conversation has none), or the agent to wait
   * for (stored `waiting_for_agent` when it is starting; a stopped or failed agent ends the run in `#waitForAgent`).
   */
  async #afterWorkspace(em: EntityManager, conversationId: string): Promise<'idle' | 'run' | string> {
    return em.fork().transactional(async (tx) => {
      const [row] = await tx.execute<{ agent_id: string | null }[]>('select agent_id from conversations where id = ? for update', [conversationId]);
      const [messages] = await tx.execute<{ count: string }[]>(
        `select count(*) as count from events where conversation_id = ? and type = 'message' and payload->>'role' = 'user'`,
        [conversationId],
      );
      if (Number(messages?.count ?? 0) === 0) {
        await appendEvent(tx, conversationId, { type: 'state', state: 'idle', reason: 'workspace_ready' });
        return 'idle';
      }
      const agentId = row?.agent_id ?? null;
      const agent = agentId ? await tx.findOne(AgentEntity, { id: agentId }, { fields: ['status', 'deletedAt'] }) : null;
      if (!agentId || (agent?.status === 'running' && !agent.deletedAt)) {
        await appendEvent(tx, conversationId, { type: 'state', state: 'running', reason: null });
        return 'run';
      }
      if (agent?.status === 'starting') await appendEvent(tx, conversationId, { type: 'state', state: 'running', reason: WAITING_FOR_AGENT });
      return agentId;
    });
  }

  /** Makes the runs waiting for `agentId` in this process look at its status again. */
  #wake(agentId: string): void {
    for (const look of this.#waiting.get(agentId) ?? []) look();
  }

  /**
   * Stores `message` as one more message of the run that waits for its agent or its workspace (the conversation is
   * `running` and its last `state` event says `waiting_for_agent` or `waiting_for_workspace`), under the conversation's
   * row lock: the run, when it may go on, stores its next `state` event under the same lock before it reads its
   * history, so a message is either in that history or refused (`conversation_busy`). Answers the stored message, or
   * null when no run waits.
   */
  async #queueBehindWaitingRun(em: EntityManager, conversation: Conversation, message: EventInput): Promise<EventJson | null> {
    const conversationId = conversation.id;
    return em.fork().transactional(async (tx) => {
      const [row] = await tx.execute<{ state: string }[]>('select state from conversations where id = ? for update', [conversationId]);
      if (row?.state !== 'running') return null;
      const [last] = await tx.execute<{ reason: string | null }[]>(
        `select payload->>'reason' as reason from events where conversation_id = ? and type = 'state' order by seq desc limit 1`,
        [conversationId],
      );
      if (!JOINABLE.includes(last?.reason)) return null;
      this.#deps.quotas.checkEventCount(await tx.findOneOrFail(ConversationEntity, { id: conversationId }, { fields: ['lastSeq'] }));
      // A visitor's message counts against its agent's embed quotas, joining a run or not.
      const visitor = await this.#deps.runSettings.visitorLimits(tx, conversation);
      if (visitor) await this.#deps.embedQuotas.admitMessage(tx, visitor);
      return appendEvent(tx, conversationId, message);
    });
  }

  /** The conversation's committed state, `last_seq` and workspace size, read now. */
  async #current(em: EntityManager, conversationId: string): Promise<Pick<Conversation, 'state' | 'lastSeq' | 'workspaceBytes'>> {
    return em.fork().findOneOrFail(ConversationEntity, { id: conversationId }, { fields: ['state', 'lastSeq', 'workspaceBytes'] });
  }

  /** The conversation's committed state, read now. */
  async #currentState(em: EntityManager, conversationId: string): Promise<Conversation['state'] | undefined> {
    return (await em.fork().findOne(ConversationEntity, { id: conversationId }, { fields: ['state'] }))?.state;
  }
}

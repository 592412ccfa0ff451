import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import {
  EmbedConfigSchema,
  ErrorCode,
  type Agent as AgentJson,
  type AgentConfig,
  type AgentCreateParamsSchema,
  type AgentStatus,
  type AgentStatusResponse,
  type AgentUpdateParamsSchema,
  type ListParams,
  type Page,
} from '@metisai/sdk/schemas';
import type { z } from 'zod/mini';
import type { AdvisoryLocks } from '../db/advisory-locks.ts';
import type { Orm } from '../db/orm.ts';
import { listNewestFirst } from '../db/paginate.ts';
import { AgentEntity, type Agent } from '../entities/index.ts';
import { assertImageAllowed, ImageNotAllowedError } from '@metisai/sandbox';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.ts';
import type { EgressGuard } from '../security/egress-guard.ts';
import { uuid7 } from '../security/uuid7.ts';
import type { AgentLifecycle, ReportStartProgress } from './agent-lifecycle.ts';
import { assertBaseUrlAllowed } from './llm-endpoint.ts';
import { bumpEmbedGeneration } from './publishable-keys.ts';
import type { QuotaService } from './quotas.ts';
import type { RevocationChannel } from './revocations.ts';

export const toAgentJson = (agent: Agent): AgentJson => ({
  id: agent.id,
  name: agent.name,
  description: agent.description ?? null,
  // Configs stored before a field existed get its default.
  config: { ...agent.config, network: agent.config.network ?? 'egress', embed: agent.config.embed ?? EmbedConfigSchema.parse({}) },
  status: agent.status,
  status_message: agent.statusMessage ?? null,
  status_detail: agent.statusDetail ?? null,
  created_at: agent.createdAt.toISOString(),
  updated_at: agent.updatedAt.toISOString(),
});

/** Which statuses each action may leave from. */
const ALLOWED_FROM: Record<'start' | 'stop', AgentStatus[]> = {
  start: ['stopped', 'error'],
  stop: ['starting', 'running', 'error'],
};

/** Held by the process that runs an agent's start or stop, for as long as it runs: a free lock means nobody does. */
export const agentTransitionLock = (agentId: string) => `agent-transition:${agentId}`;

/** `status_message` of an agent whose start was cut short by its server stopping. */
export const INTERRUPTED_START = 'The server stopped while the agent was starting; start it again.';

/** Who wants to know that an agent's start or stop is over (its status stored): runs waiting for it, in every process. */
export interface AgentStatusListener {
  agentSettled(agentId: string): Promise<void>;
}

export interface AgentServiceOptions {
  /** Told when a transition is over (the runner: messages waiting for a starting agent). */
  listener?: AgentStatusListener | null;
  /** Transitions hold `agent-transition:<id>` so that one a dead process left behind can be told apart (see `recoverInterruptedTransitions`). */
  locks?: AdvisoryLocks | null;
}

/** What an agent's config may name and how many agents a user may have, checked when it is saved. */
export interface AgentPolicy {
  /** Refuses a `llm_base_url` written as an IP the server does not connect to for users. */
  egress: EgressGuard;
  /** `SANDBOX_ALLOWED_IMAGES` (resolved: the default image alone when unset). */
  allowedImages: readonly string[];
  /** The per-user limits (agents, warm-pool size, idle timeout, …). */
  quotas: QuotaService;
  /** Turning embedding off or deleting the agent ends its visitors' tokens in every process. */
  revocations: RevocationChannel;
}

/** The caller's agents: CRUD, and start/stop transitions whose work (`AgentLifecycle`) finishes in the background. */
export class AgentService {
  readonly #orm: Orm;
  readonly #lifecycle: AgentLifecycle;
  readonly #logger: Logger;
  readonly #policy: AgentPolicy;
  readonly #listener: AgentStatusListener | null;
  readonly #locks: AdvisoryLocks | null;
  /** Transitions still finishing in the background; awaited on shutdown. */
  readonly #pending = new Set<Promise<void>>();

  constructor(orm: Orm, lifecycle: AgentLifecycle, logger: Logger, policy: AgentPolicy, options: AgentServiceOptions = {}) {
    this.#orm = orm;
    this.#lifecycle = lifecycle;
    this.#logger = logger;
    this.#policy = policy;
    this.#listener = options.listener ?? null;
    this.#locks = options.locks ?? null;
  }

  /**
   * A config the server would refuse to run is refused when it is saved: a `sandbox_image` not allowed
   * (`image_not_allowed` on `config.sandbox_image`), a `llm_base_url` IP the server does not connect to for users
   * (`egress_refused` on `config.llm_base_url`). Both 400.
   */
  #checkConfig(config: AgentConfig): void {
    if (config.sandbox_image !== undefined) {
      try {
        assertImageAllowed(config.sandbox_image, this.#policy.allowedImages);
      } catch (error) {
        if (!(error instanceof ImageNotAllowedError)) throw error;
        throw new InvalidRequestError(ErrorCode.imageNotAllowed, error.message, { details: [{ path: 'config.sandbox_image', message: error.message }] });
      }
    }
    assertBaseUrlAllowed(this.#policy.egress, config.llm_base_url, 'config.llm_base_url');
    this.#policy.quotas.checkAgentConfig(config);
  }

  /** A page of the user's live agents; `agentIds` (an API key's restriction) keeps only those. */
  async list(em: EntityManager, userId: string, params: ListParams, agentIds: readonly string[] | null = null): Promise<Page<AgentJson>> {
    return listNewestFirst(em, AgentEntity, { userId, deletedAt: null, ...(agentIds ? { id: { $in: [...agentIds] } } : {}) }, params, toAgentJson);
  }

  /** The caller's live agent, or a 404 (also for another user's). */
  async getOwned(em: EntityManager, userId: string, id: string): Promise<Agent> {
    const agent = await em.findOne(AgentEntity, { id, userId, deletedAt: null });
    if (!agent) throw new NotFoundError('agent');
    return agent;
  }

  /** Creates a stopped agent; 429 `quota_exceeded` when the user has the most agents allowed or the config exceeds a maximum. */
  async create(em: EntityManager, userId: string, params: z.output<typeof AgentCreateParamsSchema>): Promise<AgentJson> {
    this.#checkConfig(params.config);
    return em.transactional(async (tx) => {
      await this.#policy.quotas.lock(tx, 'agents', userId);
      await this.#policy.quotas.checkAgentCount(tx, userId);
      return this.#insert(tx, userId, params);
    });
  }

  async #insert(em: EntityManager, userId: string, params: z.output<typeof AgentCreateParamsSchema>): Promise<AgentJson> {
    const agent = em.create(AgentEntity, {
      id: uuid7(),
      userId,
      name: params.name,
      description: params.description ?? null,
      config: params.config,
      status: 'stopped',
      statusMessage: null,
      deletedAt: null,
    });
    await em.flush();
    return toAgentJson(agent);
  }

  async update(em: EntityManager, userId: string, id: string, params: z.output<typeof AgentUpdateParamsSchema>): Promise<AgentJson> {
    if (params.config !== undefined) this.#checkConfig(params.config);
    const agent = await this.getOwned(em, userId, id);
    const wasEmbeddable = agent.config.embed?.enabled === true;
    if (params.name !== undefined) agent.name = params.name;
    if (params.description !== undefined) agent.description = params.description;
    if (params.config !== undefined) agent.config = params.config;
    await em.flush();
    // Embedding turned off: every visitor token of the agent stops working now, not when it expires.
    if (wasEmbeddable && agent.config.embed?.enabled !== true) {
      agent.embedGeneration = await bumpEmbedGeneration(em, this.#policy.revocations, agent.id);
    }
    return toAgentJson(agent);
  }

  /** Stops the agent, then deletes it; its conversations stay readable and refuse new messages. */
  async delete(em: EntityManager, userId: string, id: string): Promise<void> {
    const agent = await this.getOwned(em, userId, id);
    if (agent.status !== 'stopped') await this.#lifecycle.stop(em, agent);
    agent.status = 'stopped';
    agent.statusDetail = null;
    agent.deletedAt = new Date();
    await em.flush();
    await this.#settled(id);
    await bumpEmbedGeneration(em, this.#policy.revocations, agent.id);
  }

  start(em: EntityManager, userId: string, id: string): Promise<AgentStatusResponse> {
    return this.#transition(em, userId, id, 'start', 'starting', async (agent, report) => {
      await this.#lifecycle.start(this.#orm.em.fork(), agent, report);
      return 'running';
    });
  }

  stop(em: EntityManager, userId: string, id: string): Promise<AgentStatusResponse> {
    return this.#transition(em, userId, id, 'stop', 'stopping', async (agent) => {
      await this.#lifecycle.stop(this.#orm.em.fork(), agent);
      return 'stopped';
    });
  }

  /** Stops every agent of a user (before the account goes). */
  async stopAll(em: EntityManager, userId: string): Promise<void> {
    const agents = await em.find(AgentEntity, { userId, status: { $ne: 'stopped' } });
    await Promise.all(agents.map((agent) => this.#lifecycle.stop(em, agent)));
  }

  /** Waits for transitions still running in the background. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /**
   * At start: agents left `starting` or `stopping` by a process that died mid-transition (nobody holds their
   * `agent-transition:` lock) end in `error` (`INTERRUPTED_START`) or `stopped`, so that nothing waits for them
   * forever. Answers their ids. Without locks (an app without a runner), nothing is recovered.
   */
  async recoverInterruptedTransitions(): Promise<string[]> {
    const locks = this.#locks;
    if (!locks) return [];
    const em = this.#orm.em.fork();
    const recovered: string[] = [];
    for (const agent of await em.find(AgentEntity, { status: { $in: ['starting', 'stopping'] } }, { fields: ['id', 'status'] })) {
      const name = agentTransitionLock(agent.id);
      if (!(await locks.tryAcquire(name))) continue;
      try {
        const next =
          agent.status === 'starting' ? { status: 'error' as const, statusMessage: INTERRUPTED_START } : { status: 'stopped' as const, statusMessage: null };
        const moved = await em.nativeUpdate(AgentEntity, { id: agent.id, status: agent.status }, { ...next, statusDetail: null, updatedAt: new Date() });
        if (moved > 0) recovered.push(agent.id);
      } finally {
        await locks.release(name);
      }
    }
    for (const id of recovered) await this.#settled(id);
    if (recovered.length > 0) this.#logger.warn({ agents: recovered }, 'ended agent starts and stops a stopped server left behind');
    return recovered;
  }

  /**
   * Moves the agent to `via` with one conditional UPDATE (atomic across processes), answers at once,
   * and finishes in the background: `work` resolves to the final status, or throws → `error`.
   */
  async #transition(
    em: EntityManager,
    userId: string,
    id: string,
    action: 'start' | 'stop',
    via: AgentStatus,
    work: (agent: Agent, report: ReportStartProgress) => Promise<AgentStatus>,
  ): Promise<AgentStatusResponse> {
    const from = ALLOWED_FROM[action];
    const moved = await em.nativeUpdate(
      AgentEntity,
      { id, userId, deletedAt: null, status: { $in: from } },
      { status: via, statusMessage: null, statusDetail: null, updatedAt: new Date() },
    );
    if (moved === 0) {
      const agent = await this.getOwned(em, userId, id);
      throw new ConflictError(ErrorCode.invalidTransition, `Cannot ${action} an agent that is ${agent.status}`, {
        extra: { current_status: agent.status, allowed_from: from },
      });
    }
    // Progress is shown only while this transition is the agent's current one.
    const report: ReportStartProgress = async ({ message, detail }) => {
      await this.#orm.em
        .fork()
        .nativeUpdate(AgentEntity, { id, status: via }, { statusMessage: message, statusDetail: detail, updatedAt: new Date() })
        .catch((error: unknown) => this.#logger.warn({ err: error, agentId: id }, 'agent progress not saved'));
    };
    const background = (async () => {
      // A lock already taken here means an earlier transition of this agent is still finishing: this one goes on
      // unguarded (recovery then leaves it alone only while that one runs).
      const lock = agentTransitionLock(id);
      const guarded = (await this.#locks?.tryAcquire(lock).catch(() => false)) ?? false;
      try {
        const fork = this.#orm.em.fork();
        const agent = await fork.findOneOrFail(AgentEntity, { id });
        let next: AgentStatus;
        let message: string | null = null;
        try {
          next = await work(agent, report);
        } catch (error) {
          next = 'error';
          message = error instanceof Error ? error.message : String(error);
          this.#logger.warn({ agentId: id, action, err: message }, 'agent transition failed');
        }
        // Only finish the transition we started: a concurrent stop/delete wins.
        await fork.nativeUpdate(AgentEntity, { id, status: via }, { status: next, statusMessage: message, statusDetail: null, updatedAt: new Date() });
      } finally {
        if (guarded) await this.#locks?.release(lock);
      }
      await this.#settled(id);
    })().catch((error: unknown) => this.#logger.error({ err: error, agentId: id }, 'agent transition crashed'));
    const tracked = background.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    return { id, status: via };
  }

  /** Tells the listener that the agent's transition is over; a failure is logged (the listener's waiters also re-check on reconnect). */
  async #settled(agentId: string): Promise<void> {
    await this.#listener?.agentSettled(agentId).catch((error: unknown) => this.#logger.warn({ err: error, agentId }, 'agent status not announced'));
  }
}

/**
 * Why a conversation of this agent cannot take a message (or a confirmation) now, or null when it can: its agent must
 * be in one of `accepted` (a message also waits for a `starting` agent; a confirmation needs it `running`).
 */
export async function agentRefusal(em: EntityManager, agentId: string, accepted: readonly AgentStatus[] = ['running']): Promise<ConflictError | null> {
  const agent = await em.findOne(AgentEntity, { id: agentId });
  if (!agent || agent.deletedAt) {
    return new ConflictError(ErrorCode.agentDeleted, 'The agent of this conversation was deleted; the conversation is read-only');
  }
  if (!accepted.includes(agent.status)) {
    const advice: Partial<Record<AgentStatus, string>> = {
      starting: 'try again once it is running',
      stopping: 'start it again once it has stopped',
    };
    return new ConflictError(ErrorCode.agentNotRunning, `The agent is ${agent.status}; ${advice[agent.status] ?? 'start it to send messages'}`, {
      extra: { agent_id: agent.id, agent_status: agent.status },
    });
  }
  return null;
}

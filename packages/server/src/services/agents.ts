import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import {
  ErrorCode,
  type Agent as AgentJson,
  type AgentCreateParamsSchema,
  type AgentStatus,
  type AgentStatusResponse,
  type AgentUpdateParamsSchema,
  type ListParams,
  type Page,
} from '@metisai/sdk/schemas';
import type { z } from 'zod/mini';
import type { Orm } from '../db/orm.ts';
import { listNewestFirst } from '../db/paginate.ts';
import { AgentEntity, type Agent } from '../entities/index.ts';
import { assertImageAllowed, ImageNotAllowedError } from '@metisai/sandbox';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.ts';
import type { EgressGuard } from '../security/egress-guard.ts';
import { uuid7 } from '../security/uuid7.ts';
import type { AgentLifecycle } from './agent-lifecycle.ts';
import { assertBaseUrlAllowed } from './llm-endpoint.ts';

export const toAgentJson = (agent: Agent): AgentJson => ({
  id: agent.id,
  name: agent.name,
  description: agent.description ?? null,
  // Configs stored before a field existed get its default.
  config: { ...agent.config, network: agent.config.network ?? 'egress' },
  status: agent.status,
  status_message: agent.statusMessage ?? null,
  created_at: agent.createdAt.toISOString(),
  updated_at: agent.updatedAt.toISOString(),
});

/** Which statuses each action may leave from. */
const ALLOWED_FROM: Record<'start' | 'stop', AgentStatus[]> = {
  start: ['stopped', 'error'],
  stop: ['starting', 'running', 'error'],
};

/** What an agent's config may name, checked when it is saved. */
export interface AgentPolicy {
  /** Refuses a `llm_base_url` written as an IP the server does not connect to for users. */
  egress: EgressGuard;
  /** `SANDBOX_ALLOWED_IMAGES` (resolved: the default image alone when unset). */
  allowedImages: readonly string[];
}

/** The caller's agents: CRUD, and start/stop transitions whose work (`AgentLifecycle`) finishes in the background. */
export class AgentService {
  readonly #orm: Orm;
  readonly #lifecycle: AgentLifecycle;
  readonly #logger: Logger;
  readonly #policy: AgentPolicy;
  /** Transitions still finishing in the background; awaited on shutdown. */
  readonly #pending = new Set<Promise<void>>();

  constructor(orm: Orm, lifecycle: AgentLifecycle, logger: Logger, policy: AgentPolicy) {
    this.#orm = orm;
    this.#lifecycle = lifecycle;
    this.#logger = logger;
    this.#policy = policy;
  }

  /**
   * A config the server would refuse to run is refused when it is saved: a `sandbox_image` not allowed
   * (`image_not_allowed` on `config.sandbox_image`), a `llm_base_url` IP the server does not connect to for users
   * (`egress_refused` on `config.llm_base_url`). Both 400.
   */
  #checkConfig(config: AgentJson['config']): void {
    if (config.sandbox_image !== undefined) {
      try {
        assertImageAllowed(config.sandbox_image, this.#policy.allowedImages);
      } catch (error) {
        if (!(error instanceof ImageNotAllowedError)) throw error;
        throw new InvalidRequestError(ErrorCode.imageNotAllowed, error.message, { details: [{ path: 'config.sandbox_image', message: error.message }] });
      }
    }
    assertBaseUrlAllowed(this.#policy.egress, config.llm_base_url, 'config.llm_base_url');
  }

  async list(em: EntityManager, userId: string, params: ListParams): Promise<Page<AgentJson>> {
    return listNewestFirst(em, AgentEntity, { userId, deletedAt: null }, params, toAgentJson);
  }

  /** The caller's live agent, or a 404 (also for another user's). */
  async getOwned(em: EntityManager, userId: string, id: string): Promise<Agent> {
    const agent = await em.findOne(AgentEntity, { id, userId, deletedAt: null });
    if (!agent) throw new NotFoundError('agent');
    return agent;
  }

  async create(em: EntityManager, userId: string, params: z.output<typeof AgentCreateParamsSchema>): Promise<AgentJson> {
    this.#checkConfig(params.config);
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
    if (params.name !== undefined) agent.name = params.name;
    if (params.description !== undefined) agent.description = params.description;
    if (params.config !== undefined) agent.config = params.config;
    await em.flush();
    return toAgentJson(agent);
  }

  /** Stops the agent, then deletes it; its conversations stay readable and refuse new messages. */
  async delete(em: EntityManager, userId: string, id: string): Promise<void> {
    const agent = await this.getOwned(em, userId, id);
    if (agent.status !== 'stopped') await this.#lifecycle.stop(em, agent);
    agent.status = 'stopped';
    agent.deletedAt = new Date();
    await em.flush();
  }

  start(em: EntityManager, userId: string, id: string): Promise<AgentStatusResponse> {
    return this.#transition(em, userId, id, 'start', 'starting', async (agent) => {
      await this.#lifecycle.start(this.#orm.em.fork(), agent);
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
   * Moves the agent to `via` with one conditional UPDATE (atomic across processes), answers at once,
   * and finishes in the background: `work` resolves to the final status, or throws → `error`.
   */
  async #transition(
    em: EntityManager,
    userId: string,
    id: string,
    action: 'start' | 'stop',
    via: AgentStatus,
    work: (agent: Agent) => Promise<AgentStatus>,
  ): Promise<AgentStatusResponse> {
    const from = ALLOWED_FROM[action];
    const moved = await em.nativeUpdate(
      AgentEntity,
      { id, userId, deletedAt: null, status: { $in: from } },
      { status: via, statusMessage: null, updatedAt: new Date() },
    );
    if (moved === 0) {
      const agent = await this.getOwned(em, userId, id);
      throw new ConflictError(ErrorCode.invalidTransition, `Cannot ${action} an agent that is ${agent.status}`, {
        extra: { current_status: agent.status, allowed_from: from },
      });
    }
    const background = (async () => {
      const fork = this.#orm.em.fork();
      const agent = await fork.findOneOrFail(AgentEntity, { id });
      let next: AgentStatus;
      let message: string | null = null;
      try {
        next = await work(agent);
      } catch (error) {
        next = 'error';
        message = error instanceof Error ? error.message : String(error);
        this.#logger.warn({ agentId: id, action, err: message }, 'agent transition failed');
      }
      // Only finish the transition we started: a concurrent stop/delete wins.
      await fork.nativeUpdate(AgentEntity, { id, status: via }, { status: next, statusMessage: message, updatedAt: new Date() });
    })().catch((error: unknown) => this.#logger.error({ err: error, agentId: id }, 'agent transition crashed'));
    const tracked = background.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    return { id, status: via };
  }
}

/** Why a conversation of this agent cannot take a message now, or null when it can. */
export async function agentRefusal(em: EntityManager, agentId: string): Promise<ConflictError | null> {
  const agent = await em.findOne(AgentEntity, { id: agentId });
  if (!agent || agent.deletedAt) {
    return new ConflictError(ErrorCode.agentDeleted, 'The agent of this conversation was deleted; the conversation is read-only');
  }
  if (agent.status !== 'running') {
    return new ConflictError(ErrorCode.agentNotRunning, `The agent is ${agent.status}; start it to send messages`, {
      extra: { agent_id: agent.id, agent_status: agent.status },
    });
  }
  return null;
}

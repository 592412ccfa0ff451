import { setTimeout as sleep } from 'node:timers/promises';
import { type NetworkPolicy, type Sandbox, type SandboxDriver, type SandboxDriverName, type SandboxInfo, SandboxPool } from '@metisai/sandbox';
import type { Logger } from 'pino';
import type { AdvisoryLocks } from '../db/advisory-locks.ts';
import { QuotaExceededError } from '../errors.ts';

export interface SandboxManagerOptions {
  /** Where sandboxes come from, built once from the configuration; its owner must be `sandboxOwner(instanceId)`. */
  driver: SandboxDriver;
  /** This process (`<installation>:<process>`): its sandboxes carry the owner label `metisai:<instanceId>`. */
  instanceId: string;
  logger: Logger;
  locks: AdvisoryLocks;
  /** Started sandboxes one user may have at once, warm pools included (`QUOTA_SANDBOXES_PER_USER`). */
  maxPerUser: number;
}

export interface SandboxRequest {
  conversationId: string;
  /** The conversation's owner: sandboxes are labelled with it and count against their quota. */
  userId: string;
  /** The sandbox id stored on the conversation, if it has one. */
  sandboxId: string | null;
  agentId: string | null;
  image: string | undefined;
  /** What the sandbox's network may reach; a stored or live sandbox is moved to it, a pooled one must have it. */
  network: NetworkPolicy;
  env: Record<string, string>;
  idleTimeoutSeconds: number;
  /**
   * A visitor's conversation: its sandbox is labelled with the agent and the visitor, counts against the agent's embed
   * quotas (`maxPerVisitor`, `maxPerAgent` running at once) instead of the owner's, and never comes from a warm pool
   * (whose sandboxes are made and counted for the owner).
   */
  visitor?: VisitorSandboxLimits | undefined;
}

/** Limits of a visitor's sandboxes (the agent's `embed.policy.quotas`). */
export interface VisitorSandboxLimits {
  agentId: string;
  visitorId: string;
  /** `visitor_sandboxes`: running sandboxes of this visitor. */
  maxPerVisitor: number;
  /** `agent_sandboxes`: running sandboxes of all the agent's visitors. */
  maxPerAgent: number;
}

/** A conversation's sandbox held by this process: `idle` is its stop timer once the run is over. */
interface LiveSandbox {
  sandbox: Sandbox;
  userId: string;
  idle: NodeJS.Timeout | null;
  /** A visitor's sandbox: its agent and visitor (for its quotas). */
  visitor: { agentId: string; visitorId: string } | null;
}

/** An agent's warm pool, whose user it counts against, and what its sandboxes were made with: only a request for the same gets one. */
interface WarmPool {
  pool: SandboxPool;
  userId: string;
  image: string | undefined;
  network: NetworkPolicy;
}

const OWNER_PREFIX = 'metisai:';
/** Label of every sandbox made for a user (their conversations' and their agents' pools). */
export const USER_LABEL = 'metisai.account';
/** Labels of a visitor's sandbox: the embedded agent and the visitor (such sandboxes do not count against the owner). */
export const EMBED_AGENT_LABEL = 'metisai.embed.agent';
export const EMBED_VISITOR_LABEL = 'metisai.embed.visitor';
/** Longest wait for the user's sandbox lock (another process creating one of theirs). */
const USER_LOCK_WAIT_MS = 60_000;
export const instanceLock = (instanceId: string) => `instance:${instanceId}`;

/** Owner label of the sandboxes a process creates (`metisai:<installation>:<process>`): the driver is built with it. */
export const sandboxOwner = (instanceId: string) => `${OWNER_PREFIX}${instanceId}`;

/**
 * The sandboxes of this process: one per conversation (created on its first action, or taken from its agent's
 * warm pool), stopped after an idle time with its files kept, resumed on the next run, removed with the
 * conversation. Warm pools per running agent. Every sandbox carries its user's label (`metisai.account`; `metisai.user` is the container's uid): a user's
 * running sandboxes are counted from the driver's list — what the engine runs, whichever process started it — under a
 * per-user advisory lock, so the quota holds across replicas.
 */
export class SandboxManager {
  readonly #options: SandboxManagerOptions;
  readonly #live = new Map<string, LiveSandbox>();
  readonly #pools = new Map<string, WarmPool>();

  constructor(options: SandboxManagerOptions) {
    if (options.driver.owner !== sandboxOwner(options.instanceId)) {
      throw new Error(`The sandbox driver's owner is "${options.driver.owner}"; this process needs "${sandboxOwner(options.instanceId)}"`);
    }
    this.#options = options;
  }

  get driver(): SandboxDriverName {
    return this.#options.driver.name;
  }

  /**
   * The conversation's sandbox, started, on the requested network policy, with `env` exported (through the shell, never
   * the container's config). A live or stored sandbox is moved to the policy first; a warm pool's sandbox is taken only
   * when the pool was made with the same image and policy. Answers the id to store on the conversation.
   */
  async acquire(request: SandboxRequest): Promise<Sandbox> {
    const live = this.#live.get(request.conversationId);
    if (live) {
      if (live.idle) clearTimeout(live.idle);
      live.idle = null;
      await live.sandbox.setNetwork(request.network);
      await live.sandbox.setEnv(request.env);
      return live.sandbox;
    }
    let sandbox: Sandbox | null = null;
    const within = <T>(exceptId: string | undefined, start: () => Promise<T>) =>
      request.visitor ? this.#withinVisitorQuota(request.visitor, exceptId, start) : this.#withinQuota(request.userId, exceptId, start);
    if (request.sandboxId) {
      const sandboxId = request.sandboxId;
      // Starting a stopped sandbox adds one to the user's running ones: counted like a new one.
      sandbox = await within(sandboxId, () => this.#options.driver.connect(sandboxId, { network: request.network })).catch((error: unknown) => {
        if (error instanceof QuotaExceededError) throw error;
        this.#options.logger.warn({ err: error, sandboxId: request.sandboxId }, 'stored sandbox is gone; creating a new one');
        return null;
      });
      if (sandbox) await sandbox.setEnv(request.env);
    }
    const warm = request.agentId && !request.visitor ? this.#pools.get(request.agentId) : undefined;
    const pool = warm && warm.image === request.image && warm.network === request.network ? warm.pool : undefined;
    const labels: Record<string, string> = { [USER_LABEL]: request.userId };
    if (request.visitor) Object.assign(labels, { [EMBED_AGENT_LABEL]: request.visitor.agentId, [EMBED_VISITOR_LABEL]: request.visitor.visitorId });
    sandbox ??= pool
      ? await pool.acquire({ env: request.env })
      : await within(undefined, () =>
          this.#options.driver.create({ image: request.image, network: request.network, env: request.env, conversationId: request.conversationId, labels }),
        );
    this.#live.set(request.conversationId, {
      sandbox,
      userId: request.userId,
      idle: null,
      visitor: request.visitor ? { agentId: request.visitor.agentId, visitorId: request.visitor.visitorId } : null,
    });
    return sandbox;
  }

  /**
   * Throws (with a message an agent's `status_message` can carry) when sandboxes of this kind cannot be had: no engine
   * answers, or the driver cannot enforce `network` (the local driver and anything but `egress`).
   */
  async assertAvailable(network: NetworkPolicy): Promise<void> {
    const { driver } = this.#options;
    if (driver.name === 'local' && network !== 'egress') {
      throw new Error(`This server runs sandboxes with the local driver, which cannot enforce the network policy "${network}": use Docker`);
    }
    await driver.list({ owner: driver.owner });
  }

  /** The run is over: stop the sandbox after the idle time (its files stay). */
  release(conversationId: string, idleTimeoutSeconds: number): void {
    const live = this.#live.get(conversationId);
    if (!live) return;
    if (live.idle) clearTimeout(live.idle);
    live.idle = setTimeout(() => {
      this.#live.delete(conversationId);
      live.sandbox.stop().catch((error: unknown) => this.#options.logger.warn({ err: error, conversationId }, 'idle sandbox did not stop'));
    }, idleTimeoutSeconds * 1000);
    live.idle.unref();
  }

  /** The conversation is deleted: its sandbox goes too (a stopped one is removed as it is, without starting it). */
  async remove(conversationId: string, sandboxId: string | null): Promise<void> {
    const live = this.#live.get(conversationId);
    this.#live.delete(conversationId);
    if (live?.idle) clearTimeout(live.idle);
    const removal = live ? live.sandbox.remove() : sandboxId ? this.#options.driver.remove(sandboxId) : Promise.resolve();
    await removal.catch((error: unknown) => this.#options.logger.warn({ err: error, conversationId }, 'sandbox removal failed'));
  }

  /**
   * Starts (or resizes) an agent's warm pool of sandboxes with `image` and `network`, and waits until it is full. Its
   * sandboxes count against the user's quota: when it cannot be filled the pool is closed again and the error
   * (`QuotaExceededError`) thrown.
   */
  async warmPool(agentId: string, userId: string, size: number, image: string | undefined, network: NetworkPolicy): Promise<void> {
    await this.closePool(agentId);
    if (size <= 0) return;
    const pool = new SandboxPool({
      size,
      create: () => this.#create(userId, { image, network, env: {}, conversationId: undefined }),
      onError: (error) => this.#options.logger.warn({ err: error, agentId }, 'warm pool refill failed'),
    });
    this.#pools.set(agentId, { pool, userId, image, network });
    try {
      await pool.fill();
    } catch (error) {
      await this.closePool(agentId);
      throw error;
    }
  }

  /** Removes the agent's warm pool held by this process, if any. */
  async closePool(agentId: string): Promise<void> {
    const entry = this.#pools.get(agentId);
    this.#pools.delete(agentId);
    await entry?.pool.close();
  }

  /** The user's started sandboxes as the driver lists them (every process's), except `exceptId` and their visitors'. */
  async countRunning(userId: string, exceptId?: string): Promise<number> {
    return (await this.#ofUser(userId)).filter((info) => info.state === 'running' && info.id !== exceptId && !info.labels[EMBED_AGENT_LABEL]).length;
  }

  /** Running sandboxes of an embedded agent's visitors (every process's), except `exceptId`: all of them, and the visitor's. */
  async countVisitorSandboxes(agentId: string, visitorId: string, exceptId?: string, listed?: SandboxInfo[]): Promise<{ agent: number; visitor: number }> {
    const running = (listed ?? (await this.#options.driver.list())).filter(
      (info) => info.state === 'running' && info.id !== exceptId && info.labels[EMBED_AGENT_LABEL] === agentId,
    );
    return { agent: running.length, visitor: running.filter((info) => info.labels[EMBED_VISITOR_LABEL] === visitorId).length };
  }

  /**
   * Why a visitor's conversation could not get a sandbox now (its own one not running and the visitor's or agent's
   * running sandboxes at their limit), or null. A check ahead of the run (the run's own acquisition is what enforces).
   */
  async visitorSandboxRefusal(limits: VisitorSandboxLimits, conversationId: string, sandboxId: string | null): Promise<QuotaExceededError | null> {
    if (this.#live.has(conversationId)) return null;
    const listed = await this.#options.driver.list();
    if (sandboxId && listed.some((info) => info.id === sandboxId && info.state === 'running')) return null;
    const refusal = this.#visitorRefusal(limits, await this.countVisitorSandboxes(limits.agentId, limits.visitorId, undefined, listed));
    if (!refusal || !(await this.#stopIdleVisitorSandboxes(limits, refusal))) return refusal;
    return this.#visitorRefusal(limits, await this.countVisitorSandboxes(limits.agentId, limits.visitorId));
  }

  /**
   * A visitor (or the agent's visitors) at their limit: this process's sandboxes of theirs that no run uses (waiting for
   * their idle timeout) are stopped now — their files stay, a later run starts them again — to make room for the
   * conversation written in now. Answers how many were stopped.
   */
  async #stopIdleVisitorSandboxes(limits: VisitorSandboxLimits, refusal: QuotaExceededError): Promise<number> {
    const idle = [...this.#live].filter(
      ([, live]) =>
        live.idle !== null &&
        live.visitor?.agentId === limits.agentId &&
        (refusal.quota !== 'visitor_sandboxes' || live.visitor.visitorId === limits.visitorId),
    );
    for (const [conversationId, live] of idle) {
      clearTimeout(live.idle!);
      this.#live.delete(conversationId);
      await live.sandbox.stop().catch((error: unknown) => this.#options.logger.warn({ err: error, conversationId }, 'idle visitor sandbox did not stop'));
    }
    return idle.length;
  }

  /**
   * Removes every sandbox of the user this process holds (live ones and pools, their idle timers dropped), then every
   * other sandbox the driver lists with the user's label (started by any process, running or stopped), with their
   * files. Answers the ids removed.
   */
  async removeUser(userId: string): Promise<string[]> {
    const removed: string[] = [];
    for (const [conversationId, live] of [...this.#live]) {
      if (live.userId !== userId) continue;
      await this.remove(conversationId, null);
      removed.push(live.sandbox.id);
    }
    for (const [agentId, entry] of [...this.#pools]) if (entry.userId === userId) await this.closePool(agentId);
    for (const info of await this.#ofUser(userId)) {
      await this.#options.driver.remove(info.id).then(
        () => removed.push(info.id),
        (error: unknown) => this.#options.logger.warn({ err: error, sandboxId: info.id }, 'sandbox of a deleted account not removed'),
      );
    }
    return removed;
  }

  /** Removes sandboxes by id (a deleted account's conversations'), as they are, without starting them. */
  async removeById(ids: Iterable<string>): Promise<void> {
    for (const id of ids) {
      await this.#options.driver.remove(id).catch((error: unknown) => this.#options.logger.warn({ err: error, sandboxId: id }, 'sandbox removal failed'));
    }
  }

  /**
   * Removes sandboxes nobody alive owns: not a conversation's (`keep`) and created by a process whose
   * instance lock is free. Another live process's pools and runs are left alone.
   */
  async reapOrphans(keep: Set<string>): Promise<string[]> {
    const { driver, instanceId, locks } = this.#options;
    const installation = instanceId.split(':')[0]!;
    const removed: string[] = [];
    for (const info of await driver.list()) {
      if (keep.has(info.id) || !info.owner?.startsWith(`${OWNER_PREFIX}${installation}:`)) continue;
      const owner = info.owner.slice(OWNER_PREFIX.length);
      if (owner === instanceId || (await locks.isHeldElsewhere(instanceLock(owner)))) continue;
      // Removed as it is: a stopped orphan is not started (nor given a shell) on its way out.
      const isRemoved = await driver.remove(info.id).then(
        () => true,
        (error: unknown) => {
          this.#options.logger.warn({ err: error, sandboxId: info.id }, 'orphaned sandbox not removed');
          return false;
        },
      );
      if (isRemoved) removed.push(info.id);
    }
    if (removed.length > 0) this.#options.logger.info({ removed }, 'reaped orphaned sandboxes');
    return removed;
  }

  /** Stops this process's sandboxes (their files stay; the next run reconnects and starts them) and empties the pools. */
  async close(): Promise<void> {
    for (const [, live] of this.#live) if (live.idle) clearTimeout(live.idle);
    await Promise.all([...this.#live.values()].map(({ sandbox }) => sandbox.stop().catch(() => sandbox.disconnect().catch(() => undefined))));
    this.#live.clear();
    await Promise.all([...this.#pools.keys()].map((agentId) => this.closePool(agentId)));
  }

  #create(
    userId: string,
    options: { image: string | undefined; network: NetworkPolicy; env: Record<string, string>; conversationId: string | undefined },
  ): Promise<Sandbox> {
    return this.#withinQuota(userId, undefined, () => this.#options.driver.create({ ...options, labels: { [USER_LABEL]: userId } }));
  }

  #visitorRefusal(limits: VisitorSandboxLimits, counts: { agent: number; visitor: number }): QuotaExceededError | null {
    if (counts.visitor >= limits.maxPerVisitor) {
      return new QuotaExceededError(
        'visitor_sandboxes',
        limits.maxPerVisitor,
        counts.visitor,
        `You have ${counts.visitor} running sandboxes, the most this agent allows one visitor`,
      );
    }
    if (counts.agent >= limits.maxPerAgent) {
      return new QuotaExceededError(
        'agent_sandboxes',
        limits.maxPerAgent,
        counts.agent,
        `This agent's visitors have ${counts.agent} running sandboxes, the most it allows`,
      );
    }
    return null;
  }

  /**
   * Runs `start` (which starts one sandbox of a visitor) only when the visitor and the agent's visitors have fewer
   * running than their limits, others than `exceptId`: counted and started under the agent's advisory lock. Throws
   * `QuotaExceededError` (`visitor_sandboxes`, `agent_sandboxes`).
   */
  async #withinVisitorQuota<T>(limits: VisitorSandboxLimits, exceptId: string | undefined, start: () => Promise<T>): Promise<T> {
    return this.#underLock(`quota:embed-sandboxes:${limits.agentId}`, async () => {
      let refusal = this.#visitorRefusal(limits, await this.countVisitorSandboxes(limits.agentId, limits.visitorId, exceptId));
      if (refusal && (await this.#stopIdleVisitorSandboxes(limits, refusal)) > 0) {
        refusal = this.#visitorRefusal(limits, await this.countVisitorSandboxes(limits.agentId, limits.visitorId, exceptId));
      }
      if (refusal) {
        this.#options.logger.warn(
          {
            security_event: 'quota_exceeded',
            agent_id: limits.agentId,
            visitor_id: limits.visitorId,
            quota: refusal.quota,
            limit: refusal.limit,
            current: refusal.current,
          },
          'security: quota_exceeded',
        );
        throw refusal;
      }
      return start();
    });
  }

  async #underLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const { locks } = this.#options;
    const deadline = Date.now() + USER_LOCK_WAIT_MS;
    while (!(await locks.tryAcquire(name))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${name}`);
      await sleep(25);
    }
    try {
      return await work();
    } finally {
      await locks.release(name);
    }
  }

  async #ofUser(userId: string): Promise<SandboxInfo[]> {
    return (await this.#options.driver.list()).filter((info) => info.labels[USER_LABEL] === userId);
  }

  /**
   * Runs `start` (which starts one sandbox of the user) only when the user has fewer than `maxPerUser` running, others
   * than `exceptId`: counted and started under the user's advisory lock, so concurrent starts in any process cannot
   * both take the last place. Throws `QuotaExceededError` (quota `sandboxes`).
   */
  async #withinQuota<T>(userId: string, exceptId: string | undefined, start: () => Promise<T>): Promise<T> {
    const { maxPerUser } = this.#options;
    return this.#underLock(`quota:sandboxes:${userId}`, async () => {
      const current = await this.countRunning(userId, exceptId);
      if (current >= maxPerUser) {
        this.#options.logger.warn(
          { security_event: 'quota_exceeded', user_id: userId, quota: 'sandboxes', limit: maxPerUser, current },
          'security: quota_exceeded',
        );
        throw new QuotaExceededError(
          'sandboxes',
          maxPerUser,
          current,
          `You have ${current} running sandboxes (warm pools included), the most this server allows`,
        );
      }
      return start();
    });
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttachedFiles,
  ImageNotFoundError,
  type NetworkPolicy,
  type Sandbox,
  type SandboxDriver,
  type SandboxDriverName,
  type SandboxInfo,
  SandboxPool,
} from '@metisai/sandbox';
import { ErrorCode } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import type { AdvisoryLocks } from '../db/advisory-locks.ts';
import { ConflictError, QuotaExceededError } from '../errors.ts';
import type { ImageBuilder, ImageBuildListener } from './image-build.ts';

export interface SandboxManagerOptions {
  /** Where sandboxes come from, built once from the configuration; its owner must be `sandboxOwner(instanceId)`. */
  driver: SandboxDriver;
  /** This process (`<installation>:<process>`): its sandboxes carry the owner label `metisai:<instanceId>`. */
  instanceId: string;
  logger: Logger;
  locks: AdvisoryLocks;
  /** Started sandboxes one user may have at once, warm pools included (`QUOTA_SANDBOXES_PER_USER`). */
  maxPerUser: number;
  /**
   * Builds the driver's own image when it is missing (`SANDBOX_IMAGE_BUILD`): sandboxes wait for it. Absent: the image
   * must exist (the driver never pulls it).
   */
  images?: ImageBuilder | null;
  /**
   * Whether another server process is running the conversation now (its run lock is held elsewhere): an idle timer
   * then only lets go of the sandbox here instead of stopping it under that run. Default: never.
   */
  isRunElsewhere?: (conversationId: string) => Promise<boolean>;
  /**
   * The other driver (Docker for a local server, local for a Docker one), built on first use with the same owner: only
   * to remove what a conversation made under it (`SANDBOX_DRIVER` changed, or Docker did not answer at a start) when the
   * conversation is deleted. Absent: such sandboxes and workspaces are left, with a warning naming them.
   */
  otherDriver?: () => SandboxDriver;
}

export interface SandboxRequest {
  conversationId: string;
  /** The conversation's owner: sandboxes are labelled with it and count against their quota. */
  userId: string;
  /** The sandbox id stored on the conversation, if it has one. */
  sandboxId: string | null;
  /**
   * The workspace stored on the conversation, if it has one: a sandbox created again (the stored one is gone) mounts
   * it, so the files survive; none is taken from a warm pool then. `null`: a new workspace named after the conversation.
   */
  workspace: string | null;
  agentId: string | null;
  image: string | undefined;
  /** What the sandbox's network may reach; a stored or live sandbox is moved to it, a pooled one must have it. */
  network: NetworkPolicy;
  /** Exported into the shell: on creation, and each time it is acquired when given (a run's secrets). */
  env: Record<string, string> | undefined;
  /**
   * Called once when this process makes the sandbox live (created, taken from a pool, or reconnected), before any
   * other `acquire` of the conversation gets it: e.g. to take a baseline of its files before anyone writes.
   */
  prepare?: (sandbox: Sandbox) => Promise<void>;
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

interface LiveSandbox {
  sandbox: Sandbox;
  /** The conversation's owner. */
  userId: string;
  /** Runs and file operations holding it; the idle timer runs only at 0. */
  holders: number;
  idle: NodeJS.Timeout | null;
  /** When its last holder let go (ms since the epoch): idle ones are stopped oldest first to make room at a quota. */
  idleSince: number;
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
/** How long deleting an account waits for its sandboxes to be gone from the engine (other processes remove theirs too). */
const USER_REMOVAL_WAIT_MS = 30_000;

/** Label of every sandbox made for a user (their conversations' and their agents' pools). */
export const USER_LABEL = 'metisai.account';
/** Labels of a visitor's sandbox: the embedded agent and the visitor (such sandboxes do not count against the owner). */
export const EMBED_AGENT_LABEL = 'metisai.embed.agent';
export const EMBED_VISITOR_LABEL = 'metisai.embed.visitor';
/**
 * Label of a sandbox made for an agent's warm pool: the agent. It stays on the sandbox once a conversation takes it
 * (labels cannot change), so only the conversations' `sandbox_id` tells a waiting pool sandbox from a taken one.
 */
export const POOL_AGENT_LABEL = 'metisai.pool.agent';
/** How long stopping an agent waits for its waiting pool sandboxes (any process's) to be gone from the engine. */
const POOL_REMOVAL_WAIT_MS = 30_000;
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
  /** The acquisition in progress per conversation: acquisitions of one conversation run one after another. */
  readonly #acquiring = new Map<string, Promise<Sandbox>>();
  readonly #pools = new Map<string, WarmPool>();
  /** Pools being closed, by agent: a second `closePool` (the `stop_agent` message and the stop itself) waits for it. */
  readonly #closingPools = new Map<string, Promise<void>>();

  constructor(options: SandboxManagerOptions) {
    if (options.driver.owner !== sandboxOwner(options.instanceId)) {
      throw new Error(`The sandbox driver's owner is "${options.driver.owner}"; this process needs "${sandboxOwner(options.instanceId)}"`);
    }
    this.#options = options;
  }

  get driver(): SandboxDriverName {
    return this.#options.driver.name;
  }

  /** Does this process hold the conversation's sandbox (started, possibly idle)? */
  isLive(conversationId: string): boolean {
    return this.#live.has(conversationId);
  }

  /**
   * The conversation's sandbox, started, on the requested network policy, for one holder (a run, a file operation)
   * until its `release`, with `env` exported when given (through the shell, never the container's config). A live or
   * stored sandbox is moved to the policy first; else one is created on the conversation's workspace, or taken from a
   * warm pool made with the same image and policy (not when the conversation has a workspace already). Acquisitions of
   * one conversation are serialised, so concurrent callers share one sandbox. Its `id` and `workspace` are what to
   * store on the conversation. Throws `QuotaExceededError` when starting one would exceed the user's sandboxes.
   */
  acquire(request: SandboxRequest): Promise<Sandbox> {
    const before = this.#acquiring.get(request.conversationId);
    const mine = (before ? before.catch(() => undefined) : Promise.resolve()).then(() => this.#acquireNow(request));
    this.#acquiring.set(request.conversationId, mine);
    const forget = () => {
      if (this.#acquiring.get(request.conversationId) === mine) this.#acquiring.delete(request.conversationId);
    };
    mine.then(forget, forget);
    return mine;
  }

  async #acquireNow(request: SandboxRequest): Promise<Sandbox> {
    const live = this.#live.get(request.conversationId);
    if (live) {
      if (live.idle) clearTimeout(live.idle);
      live.idle = null;
      live.holders += 1;
      await live.sandbox.setNetwork(request.network);
      if (request.env) await live.sandbox.setEnv(request.env);
      return live.sandbox;
    }
    let sandbox: Sandbox | null = null;
    if (request.sandboxId && !this.#options.driver.isOwnId(request.sandboxId)) {
      // Made by the other driver (SANDBOX_DRIVER changed, or Docker was not answering at start): its files are there,
      // so it is neither replaced (which would orphan them, and the next start would reap them) nor connected to.
      const other = this.#options.driver.name === 'docker' ? 'local' : 'docker';
      throw new ConflictError(
        ErrorCode.conflict,
        `This conversation's files are in a sandbox of the ${other} driver, and this server runs the ${this.#options.driver.name} driver: start the server with SANDBOX_DRIVER=${other} to reach them`,
      );
    }
    // A visitor's sandbox counts against its agent's embed quotas, a user's own against theirs.
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
      if (sandbox && request.env) await sandbox.setEnv(request.env);
    }
    const warm = request.agentId && !request.workspace && !request.visitor ? this.#pools.get(request.agentId) : undefined;
    const pool = warm && warm.image === request.image && warm.network === request.network ? warm.pool : undefined;
    const env = request.env ?? {};
    sandbox ??= pool
      ? await pool.acquire({ env })
      : await this.#create(
          request.userId,
          {
            image: request.image,
            network: request.network,
            env,
            conversationId: request.conversationId,
            workspace: request.workspace ?? request.conversationId,
          },
          request.visitor,
        );
    try {
      await request.prepare?.(sandbox);
    } catch (error) {
      this.#options.logger.warn({ err: error, conversationId: request.conversationId }, 'preparing the sandbox failed');
    }
    this.#live.set(request.conversationId, {
      sandbox,
      userId: request.userId,
      holders: 1,
      idle: null,
      idleSince: 0,
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

  /**
   * One holder is done: when none is left, the sandbox stops after the idle time (its files stay) — unless another
   * process runs the conversation by then (it reached the sandbox itself): then this process only lets go of it.
   */
  release(conversationId: string, idleTimeoutSeconds: number): void {
    const live = this.#live.get(conversationId);
    if (!live) return;
    live.holders = Math.max(0, live.holders - 1);
    if (live.holders > 0) return;
    if (live.idle) clearTimeout(live.idle);
    live.idleSince = Date.now();
    live.idle = setTimeout(() => {
      if (this.#live.get(conversationId) !== live || live.holders > 0) return;
      this.#live.delete(conversationId);
      const isRunElsewhere = this.#options.isRunElsewhere?.(conversationId) ?? Promise.resolve(false);
      isRunElsewhere
        .catch(() => false)
        .then((elsewhere) => (elsewhere ? live.sandbox.disconnect() : live.sandbox.stop()))
        .catch((error: unknown) => this.#options.logger.warn({ err: error, conversationId }, 'idle sandbox did not stop'));
    }, idleTimeoutSeconds * 1000);
    live.idle.unref();
  }

  /** File access to a sandbox another process runs, without starting it or opening a shell. */
  attachFiles(sandboxId: string): Promise<AttachedFiles> {
    return this.#options.driver.attachFiles(sandboxId);
  }

  /**
   * The conversation is deleted: its sandbox goes too (a stopped one is removed as it is, without starting it), and
   * its workspace with it (also when the sandbox itself was already gone).
   */
  async remove(conversationId: string, sandboxId: string | null, workspace: string | null = null): Promise<void> {
    const live = this.#live.get(conversationId);
    this.#live.delete(conversationId);
    if (live?.idle) clearTimeout(live.idle);
    // A sandbox (and its workspace: a Docker volume) the other driver made is removed through that driver.
    const driver = sandboxId && !this.#options.driver.isOwnId(sandboxId) ? this.#otherDriver() : this.#options.driver;
    if (!driver) {
      this.#options.logger.warn(
        { conversationId, sandboxId, workspace },
        "the conversation's sandbox and workspace were made by the other sandbox driver, which this server cannot reach: remove them by hand (scripts/cleanup removes every sandbox of the installation)",
      );
      return;
    }
    const removal = live ? live.sandbox.remove() : sandboxId ? driver.remove(sandboxId) : Promise.resolve();
    await removal.catch((error: unknown) =>
      this.#options.logger.warn({ err: error, conversationId, sandboxId, driver: driver.name }, 'sandbox removal failed'),
    );
    if (workspace) {
      await driver
        .removeWorkspace(workspace)
        .catch((error: unknown) => this.#options.logger.warn({ err: error, conversationId, workspace, driver: driver.name }, 'workspace removal failed'));
    }
  }

  #other: SandboxDriver | undefined;
  /** The other driver (`otherDriver`), built once; undefined when there is none or it cannot be built. */
  #otherDriver(): SandboxDriver | undefined {
    try {
      this.#other ??= this.#options.otherDriver?.();
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'the other sandbox driver could not be built');
    }
    return this.#other;
  }

  /**
   * Resolves when sandboxes can be created as far as images go: when this server builds its sandbox image (the default
   * image, which also installs the sandbox network's host rules), once that build (here or in another process) is
   * over, `listener` getting its progress meanwhile; at once otherwise (another image is pulled on `create`). Throws
   * `ImageBuildFailedError`.
   */
  async prepareImage(listener?: ImageBuildListener): Promise<void> {
    await this.#options.images?.ensure(listener);
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
      create: () => this.#create(userId, { image, network, env: {}, conversationId: undefined }, undefined, { [POOL_AGENT_LABEL]: agentId }),
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

  /** Removes the agent's warm pool held by this process, if any; answers once its waiting sandboxes are removed. */
  async closePool(agentId: string): Promise<void> {
    const entry = this.#pools.get(agentId);
    this.#pools.delete(agentId);
    if (entry) {
      const closing = entry.pool.close().finally(() => {
        if (this.#closingPools.get(agentId) === closing) this.#closingPools.delete(agentId);
      });
      this.#closingPools.set(agentId, closing);
    }
    await this.#closingPools.get(agentId);
  }

  /**
   * Removes the agent's warm pool here, then every waiting pool sandbox of the agent the driver lists, whichever process
   * made it (`POOL_AGENT_LABEL`): one in a process that has not closed its pool yet (it gets `stop_agent` later) or
   * that died, which would count against the user's sandbox quota meanwhile. A sandbox a conversation took is left
   * alone: one this process holds, or one whose id `taken` answers (the conversations' `sandbox_id`). Answers once the
   * driver lists none waiting, or after `POOL_REMOVAL_WAIT_MS` (or when the driver cannot list) with a warning; answers
   * the ids this call removed.
   */
  async removePool(agentId: string, taken: (sandboxIds: string[]) => Promise<ReadonlySet<string>>): Promise<string[]> {
    await this.closePool(agentId);
    const held = () => new Set([...this.#live.values()].map((live) => live.sandbox.id));
    const waiting = async () => {
      const pooled = (await this.#options.driver.list()).filter((info) => info.labels[POOL_AGENT_LABEL] === agentId && !held().has(info.id));
      const claimed = pooled.length > 0 ? await taken(pooled.map((info) => info.id)) : new Set<string>();
      return pooled.filter((info) => !claimed.has(info.id));
    };
    const removed: string[] = [];
    const deadline = Date.now() + POOL_REMOVAL_WAIT_MS;
    // An engine that does not answer does not fail the stop: its pools' processes close them on `stop_agent`.
    const listed = () =>
      waiting().catch((error: unknown) => {
        this.#options.logger.warn({ err: error, agentId }, 'pool sandboxes of a stopped agent could not be listed');
        return [];
      });
    for (let left = await listed(); left.length > 0; left = await listed()) {
      if (Date.now() >= deadline) {
        this.#options.logger.warn({ agentId, left: left.map((info) => info.id) }, 'waiting pool sandboxes of a stopped agent not removed');
        break;
      }
      let isAnyLeft = false;
      for (const info of left) {
        // The process that made it may be removing it too; the next listing tells whether it went.
        await this.#options.driver.remove(info.id).then(
          () => removed.push(info.id),
          (error: unknown) => {
            isAnyLeft = true;
            this.#options.logger.debug({ err: error, sandboxId: info.id }, 'pool sandbox of a stopped agent not removed (yet)');
          },
        );
      }
      if (isAnyLeft) await sleep(200);
    }
    if (removed.length > 0) this.#options.logger.info({ agentId, removed }, 'removed waiting pool sandboxes of a stopped agent');
    return removed;
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
   * running sandboxes at their limit, even after stopping the idle ones this process holds for them), or null. A check
   * ahead of the run (the run's own acquisition is what enforces).
   */
  async visitorSandboxRefusal(limits: VisitorSandboxLimits, conversationId: string, sandboxId: string | null): Promise<QuotaExceededError | null> {
    if (this.#live.has(conversationId)) return null;
    const listed = await this.#options.driver.list();
    if (sandboxId && listed.some((info) => info.id === sandboxId && info.state === 'running')) return null;
    const refusal = this.#visitorRefusal(limits, await this.countVisitorSandboxes(limits.agentId, limits.visitorId, undefined, listed));
    if (!refusal || (await this.#makeRoomForVisitor(limits, refusal)) === 0) return refusal;
    return this.#visitorRefusal(limits, await this.countVisitorSandboxes(limits.agentId, limits.visitorId));
  }

  /**
   * Removes every sandbox of the user this process holds (live ones and pools, their idle timers dropped), then every
   * other sandbox the driver lists with the user's label (started by any process, running or stopped), with their
   * files. Another process may be removing some of them at the same time (its pools, on `remove_user_sandboxes`):
   * answers once the driver lists none of the user's sandboxes, or after `USER_REMOVAL_WAIT_MS` with a warning for
   * those left. Answers the ids removed.
   */
  async removeUser(userId: string): Promise<string[]> {
    const removed: string[] = [];
    for (const [conversationId, live] of [...this.#live]) {
      if (live.userId !== userId) continue;
      await this.remove(conversationId, null);
      removed.push(live.sandbox.id);
    }
    for (const [agentId, entry] of [...this.#pools]) if (entry.userId === userId) await this.closePool(agentId);
    const deadline = Date.now() + USER_REMOVAL_WAIT_MS;
    let left = await this.#ofUser(userId);
    while (left.length > 0) {
      for (const info of left) {
        // A removal already under way elsewhere fails here; the next listing tells whether it went.
        await this.#options.driver.remove(info.id).then(
          () => removed.push(info.id),
          (error: unknown) => this.#options.logger.debug({ err: error, sandboxId: info.id }, 'sandbox of a deleted account not removed (yet)'),
        );
      }
      left = await this.#ofUser(userId);
      if (left.length === 0) break;
      if (Date.now() >= deadline) {
        this.#options.logger.warn({ userId, left: left.map((info) => info.id) }, 'sandboxes of a deleted account not removed');
        break;
      }
      await sleep(200);
    }
    return removed;
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

  /**
   * A new sandbox of the user's (or, with `visitor`, of a visitor of theirs: labelled so, counted against its limits),
   * with `extraLabels` too (a pool's `POOL_AGENT_LABEL`).
   */
  async #create(
    userId: string,
    options: { image: string | undefined; network: NetworkPolicy; env: Record<string, string>; conversationId: string | undefined; workspace?: string },
    visitor?: VisitorSandboxLimits,
    extraLabels: Record<string, string> = {},
  ): Promise<Sandbox> {
    // Before the quota's lock, which a build of minutes must not hold.
    await this.prepareImage();
    const labels: Record<string, string> = { ...extraLabels, [USER_LABEL]: userId };
    if (visitor) Object.assign(labels, { [EMBED_AGENT_LABEL]: visitor.agentId, [EMBED_VISITOR_LABEL]: visitor.visitorId });
    const create = () =>
      this.#options.driver.create({ ...options, labels }).catch((error: unknown) => {
        throw this.#explainMissingImage(error);
      });
    return visitor ? this.#withinVisitorQuota(visitor, undefined, create) : this.#withinQuota(userId, undefined, create);
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
   * A visitor (or the agent's visitors) at their limit: makes room by stopping the idle sandboxes of theirs this
   * process holds (see `#stopIdle`), as many as the limit is exceeded by. Answers how many were stopped.
   */
  #makeRoomForVisitor(limits: VisitorSandboxLimits, refusal: QuotaExceededError): Promise<number> {
    return this.#stopIdle(
      (live) => live.visitor?.agentId === limits.agentId && (refusal.quota !== 'visitor_sandboxes' || live.visitor.visitorId === limits.visitorId),
      refusal.current - refusal.limit + 1,
      { agent_id: limits.agentId, visitor_id: limits.visitorId, quota: refusal.quota },
    );
  }

  /**
   * Runs `start` (which starts one sandbox of a visitor) only when the visitor and the agent's visitors have fewer
   * running than their limits, others than `exceptId` (after stopping the idle ones held here, if need be): counted and
   * started under the agent's advisory lock. Throws `QuotaExceededError` (`visitor_sandboxes`, `agent_sandboxes`).
   */
  async #withinVisitorQuota<T>(limits: VisitorSandboxLimits, exceptId: string | undefined, start: () => Promise<T>): Promise<T> {
    return this.#underLock(`quota:embed-sandboxes:${limits.agentId}`, async () => {
      let refusal = this.#visitorRefusal(limits, await this.countVisitorSandboxes(limits.agentId, limits.visitorId, exceptId));
      if (refusal && (await this.#makeRoomForVisitor(limits, refusal)) > 0) {
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

  /** Runs `work` holding the advisory lock `name` (waiting for it at most a minute). */
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

  /** The driver's own image, missing, and nobody here builds it (`SANDBOX_IMAGE_BUILD=off`): the error says how to get it. */
  #explainMissingImage(error: unknown): unknown {
    const { driver, images } = this.#options;
    if (!(error instanceof ImageNotFoundError) || images || !driver.imageBuild?.matches(error.image)) return error;
    return new ImageNotFoundError(
      error.image,
      error,
      'it is built from a Dockerfile and never pulled, and SANDBOX_IMAGE_BUILD is off: build it with `npm run image -w @metisai/sandbox` ' +
        '(with docker compose, the sandbox-image service does), or set SANDBOX_IMAGE_BUILD=on',
    );
  }

  /**
   * Makes room at a quota — a user's own sandboxes, or an embedded agent's visitors' — with one rule for both: stops up
   * to `count` of the sandboxes this process holds that nobody uses (waiting out their idle timeout) and that count
   * against it (`counts`), the longest idle first. Their files stay; the next run or file operation of their conversation
   * starts them again. Answers how many were stopped.
   */
  async #stopIdle(counts: (live: LiveSandbox) => boolean, count: number, log: Record<string, unknown>): Promise<number> {
    const idle = [...this.#live]
      .filter(([, live]) => live.holders === 0 && live.idle !== null && counts(live))
      .sort(([, a], [, b]) => a.idleSince - b.idleSince)
      .slice(0, Math.max(0, count));
    for (const [conversationId, live] of idle) {
      clearTimeout(live.idle!);
      this.#live.delete(conversationId);
      await live.sandbox.stop().catch((error: unknown) => this.#options.logger.warn({ err: error, conversationId }, 'idle sandbox did not stop'));
    }
    if (idle.length > 0) this.#options.logger.info({ ...log, stopped: idle.length }, 'stopped idle sandboxes to make room at the sandbox quota');
    return idle.length;
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
      let current = await this.countRunning(userId, exceptId);
      // A visitor's sandbox counts against its agent's embed quotas, not here (see `countRunning`).
      const own = (live: LiveSandbox) => live.userId === userId && live.visitor === null;
      if (current >= maxPerUser && (await this.#stopIdle(own, current - maxPerUser + 1, { user_id: userId, quota: 'sandboxes' })) > 0) {
        current = await this.countRunning(userId, exceptId);
      }
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

import { type AttachedFiles, type NetworkPolicy, type Sandbox, type SandboxDriver, type SandboxDriverName, SandboxPool } from '@metisai/sandbox';
import type { Logger } from 'pino';
import type { AdvisoryLocks } from '../db/advisory-locks.ts';

export interface SandboxManagerOptions {
  /** Where sandboxes come from, built once from the configuration; its owner must be `sandboxOwner(instanceId)`. */
  driver: SandboxDriver;
  /** This process (`<installation>:<process>`): its sandboxes carry the owner label `metisai:<instanceId>`. */
  instanceId: string;
  logger: Logger;
  locks: AdvisoryLocks;
  /**
   * Whether another server process is running the conversation now (its run lock is held elsewhere): an idle timer
   * then only lets go of the sandbox here instead of stopping it under that run. Default: never.
   */
  isRunElsewhere?: (conversationId: string) => Promise<boolean>;
}

export interface SandboxRequest {
  conversationId: string;
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
}

interface LiveSandbox {
  sandbox: Sandbox;
  /** Runs and file operations holding it; the idle timer runs only at 0. */
  holders: number;
  idle: NodeJS.Timeout | null;
}

/** An agent's warm pool and what its sandboxes were made with: only a request for the same gets one. */
interface WarmPool {
  pool: SandboxPool;
  image: string | undefined;
  network: NetworkPolicy;
}

const OWNER_PREFIX = 'metisai:';
export const instanceLock = (instanceId: string) => `instance:${instanceId}`;

/** Owner label of the sandboxes a process creates (`metisai:<installation>:<process>`): the driver is built with it. */
export const sandboxOwner = (instanceId: string) => `${OWNER_PREFIX}${instanceId}`;

/**
 * The sandboxes of this process: one per conversation (created on its first action, or taken from its agent's
 * warm pool), stopped after an idle time with its files kept, resumed on the next run, removed with the
 * conversation. Warm pools per running agent.
 */
export class SandboxManager {
  readonly #options: SandboxManagerOptions;
  readonly #live = new Map<string, LiveSandbox>();
  /** The acquisition in progress per conversation: acquisitions of one conversation run one after another. */
  readonly #acquiring = new Map<string, Promise<Sandbox>>();
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
   * store on the conversation.
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
    if (request.sandboxId) {
      sandbox = await this.#options.driver.connect(request.sandboxId, { network: request.network }).catch((error: unknown) => {
        this.#options.logger.warn({ err: error, sandboxId: request.sandboxId }, 'stored sandbox is gone; creating a new one');
        return null;
      });
      if (sandbox && request.env) await sandbox.setEnv(request.env);
    }
    const warm = request.agentId && !request.workspace ? this.#pools.get(request.agentId) : undefined;
    const pool = warm && warm.image === request.image && warm.network === request.network ? warm.pool : undefined;
    const env = request.env ?? {};
    sandbox ??= pool
      ? await pool.acquire({ env })
      : await this.#create({
          image: request.image,
          network: request.network,
          env,
          conversationId: request.conversationId,
          workspace: request.workspace ?? request.conversationId,
        });
    try {
      await request.prepare?.(sandbox);
    } catch (error) {
      this.#options.logger.warn({ err: error, conversationId: request.conversationId }, 'preparing the sandbox failed');
    }
    this.#live.set(request.conversationId, { sandbox, holders: 1, idle: null });
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
    const removal = live ? live.sandbox.remove() : sandboxId ? this.#options.driver.remove(sandboxId) : Promise.resolve();
    await removal.catch((error: unknown) => this.#options.logger.warn({ err: error, conversationId }, 'sandbox removal failed'));
    if (workspace) {
      await this.#options.driver
        .removeWorkspace(workspace)
        .catch((error: unknown) => this.#options.logger.warn({ err: error, conversationId }, 'workspace removal failed'));
    }
  }

  /** Starts (or resizes) an agent's warm pool of sandboxes with `image` and `network`, and waits until it is full. */
  async warmPool(agentId: string, size: number, image: string | undefined, network: NetworkPolicy): Promise<void> {
    await this.closePool(agentId);
    if (size <= 0) return;
    const pool = new SandboxPool({
      size,
      create: () => this.#create({ image, network, env: {}, conversationId: undefined }),
      onError: (error) => this.#options.logger.warn({ err: error, agentId }, 'warm pool refill failed'),
    });
    this.#pools.set(agentId, { pool, image, network });
    await pool.fill();
  }

  async closePool(agentId: string): Promise<void> {
    const warm = this.#pools.get(agentId);
    this.#pools.delete(agentId);
    await warm?.pool.close();
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

  #create(options: {
    image: string | undefined;
    network: NetworkPolicy;
    env: Record<string, string>;
    conversationId: string | undefined;
    workspace?: string;
  }): Promise<Sandbox> {
    return this.#options.driver.create(options);
  }
}

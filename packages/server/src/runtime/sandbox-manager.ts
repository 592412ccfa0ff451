import path from 'node:path';
import {
  connectSandbox,
  createDockerClient,
  createSandbox,
  DockerSandbox,
  LocalSandbox,
  SandboxPool,
  type Sandbox,
  type SandboxDriverName,
  type SandboxInfo,
} from '@metisai/sandbox';
import type { Logger } from 'pino';
import type { AdvisoryLocks } from '../db/advisory-locks.ts';

export interface SandboxManagerOptions {
  driver: SandboxDriverName;
  /** This process: owner label of the sandboxes it creates (`metisai:<instance>`). */
  instanceId: string;
  /** Where local sandboxes live (the data dir). */
  localRootDir: string;
  defaultImage: string | undefined;
  allowedImages: string[] | undefined;
  logger: Logger;
  locks: AdvisoryLocks;
}

export interface SandboxRequest {
  conversationId: string;
  /** The sandbox id stored on the conversation, if it has one. */
  sandboxId: string | null;
  agentId: string | null;
  image: string | undefined;
  env: Record<string, string>;
  idleTimeoutSeconds: number;
}

const OWNER_PREFIX = 'metisai:';
export const instanceLock = (instanceId: string) => `instance:${instanceId}`;

/** Docker when an engine answers, else the local driver (with a loud warning: commands then run on the host). */
export async function detectSandboxDriver(requested: SandboxDriverName | undefined, logger: Logger): Promise<SandboxDriverName> {
  if (requested) return requested;
  try {
    await Promise.race([createDockerClient().ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
    return 'docker';
  } catch {
    logger.warn(
      'No Docker engine answers: agents will run commands with the LOCAL driver, directly on this host, as this user. ' +
        'Use it for development only; set SANDBOX_DRIVER=docker (and start Docker) for isolation.',
    );
    return 'local';
  }
}

/**
 * The sandboxes of this process: one per conversation (created on its first action, or taken from its agent's
 * warm pool), stopped after an idle time with its files kept, resumed on the next run, removed with the
 * conversation. Warm pools per running agent.
 */
export class SandboxManager {
  readonly #options: SandboxManagerOptions;
  readonly #live = new Map<string, { sandbox: Sandbox; idle: NodeJS.Timeout | null }>();
  readonly #pools = new Map<string, SandboxPool>();

  constructor(options: SandboxManagerOptions) {
    this.#options = options;
  }

  get driver(): SandboxDriverName {
    return this.#options.driver;
  }

  /** The conversation's sandbox, started, with `env` exported. Answers the id to store on the conversation. */
  async acquire(request: SandboxRequest): Promise<Sandbox> {
    const live = this.#live.get(request.conversationId);
    if (live) {
      if (live.idle) clearTimeout(live.idle);
      live.idle = null;
      await live.sandbox.setEnv(request.env);
      return live.sandbox;
    }
    let sandbox: Sandbox | null = null;
    if (request.sandboxId) {
      sandbox = await connectSandbox(request.sandboxId, { driver: this.#options.driver, ...this.#driverOptions() }).catch((error: unknown) => {
        this.#options.logger.warn({ err: error, sandboxId: request.sandboxId }, 'stored sandbox is gone; creating a new one');
        return null;
      });
      if (sandbox) await sandbox.setEnv(request.env);
    }
    const pool = request.agentId && !request.image ? this.#pools.get(request.agentId) : undefined;
    sandbox ??= pool ? await pool.acquire({ env: request.env }) : await this.#create(request.image, request.env, request.conversationId);
    this.#live.set(request.conversationId, { sandbox, idle: null });
    return sandbox;
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

  /** The conversation is deleted: its sandbox goes too. */
  async remove(conversationId: string, sandboxId: string | null): Promise<void> {
    const live = this.#live.get(conversationId);
    this.#live.delete(conversationId);
    if (live?.idle) clearTimeout(live.idle);
    const sandbox =
      live?.sandbox ?? (sandboxId ? await connectSandbox(sandboxId, { driver: this.#options.driver, ...this.#driverOptions() }).catch(() => null) : null);
    await sandbox?.remove().catch((error: unknown) => this.#options.logger.warn({ err: error, conversationId }, 'sandbox removal failed'));
  }

  /** Starts (or resizes) an agent's warm pool and waits until it is full. */
  async warmPool(agentId: string, size: number, image: string | undefined): Promise<void> {
    await this.closePool(agentId);
    if (size <= 0) return;
    const pool = new SandboxPool({
      size,
      create: () => this.#create(image, {}, undefined),
      onError: (error) => this.#options.logger.warn({ err: error, agentId }, 'warm pool refill failed'),
    });
    this.#pools.set(agentId, pool);
    await pool.fill();
  }

  async closePool(agentId: string): Promise<void> {
    const pool = this.#pools.get(agentId);
    this.#pools.delete(agentId);
    await pool?.close();
  }

  /**
   * Removes sandboxes nobody alive owns: not a conversation's (`keep`) and created by a process whose
   * instance lock is free. Another live process's pools and runs are left alone.
   */
  async reapOrphans(keep: Set<string>): Promise<string[]> {
    const removed: string[] = [];
    const all: SandboxInfo[] = this.#options.driver === 'docker' ? await DockerSandbox.list() : await LocalSandbox.list({ rootDir: this.#localRoot() });
    for (const info of all) {
      const installation = this.#options.instanceId.split(':')[0]!;
      if (keep.has(info.id) || !info.owner?.startsWith(`${OWNER_PREFIX}${installation}:`)) continue;
      const owner = info.owner.slice(OWNER_PREFIX.length);
      if (owner === this.#options.instanceId || (await this.#options.locks.isHeldElsewhere(instanceLock(owner)))) continue;
      const sandbox = await connectSandbox(info.id, { driver: this.#options.driver, ...this.#driverOptions() }).catch(() => null);
      await sandbox?.remove().catch(() => undefined);
      removed.push(info.id);
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

  #create(image: string | undefined, env: Record<string, string>, conversationId: string | undefined): Promise<Sandbox> {
    const owner = `${OWNER_PREFIX}${this.#options.instanceId}`;
    const onLog = (line: string) => this.#options.logger.info({ sandbox: line }, 'sandbox');
    if (this.#options.driver === 'local') {
      return createSandbox({ driver: 'local', rootDir: this.#localRoot(), env, owner, conversationId, onLog });
    }
    return createSandbox({
      driver: 'docker',
      image: image ?? this.#options.defaultImage,
      allowedImages: this.#options.allowedImages,
      env,
      owner,
      conversationId,
      onLog,
    });
  }

  #localRoot() {
    return path.join(this.#options.localRootDir, 'sandboxes');
  }

  #driverOptions() {
    return this.#options.driver === 'local' ? { rootDir: this.#localRoot() } : {};
  }
}

import type { Sandbox } from './sandbox.ts';

export interface SandboxPoolOptions {
  /** How many started sandboxes to keep waiting. */
  size: number;
  /** Makes one sandbox (for example `() => driver.create({ labels: { 'metisai.pool': 'true' } })`). */
  create: () => Promise<Sandbox>;
  /** A background refill failed; the pool tries again on the next `acquire`. */
  onError?: (error: unknown) => void;
}

export interface AcquireOptions {
  /** Exported into the shell before the sandbox is handed out (a conversation's secrets). */
  env?: Record<string, string>;
}

/**
 * Keeps `size` sandboxes created and started, so a conversation gets one in the time of a
 * `setEnv` instead of a container start. Refills one at a time in the background. Labels
 * cannot change after creation, so the server records which conversation got which sandbox.
 */
export class SandboxPool {
  private readonly options: SandboxPoolOptions;
  private readonly ready: Sandbox[] = [];
  private filling: Promise<void> | null = null;
  private isClosed = false;

  constructor(options: SandboxPoolOptions) {
    this.options = options;
  }

  get readyCount(): number {
    return this.ready.length;
  }

  /** Starts filling the pool; resolves when it is full. */
  fill(): Promise<void> {
    if (!this.filling) {
      this.filling = this.fillNow().finally(() => {
        this.filling = null;
      });
    }
    return this.filling;
  }

  /** A started sandbox (created on the spot when none is waiting), with `env` exported. */
  async acquire(options: AcquireOptions = {}): Promise<Sandbox> {
    if (this.isClosed) throw new Error('The sandbox pool is closed');
    const sandbox = this.ready.shift() ?? (await this.options.create());
    void this.fill().catch((err: unknown) => this.options.onError?.(err));
    if (options.env && Object.keys(options.env).length > 0) await sandbox.setEnv(options.env);
    return sandbox;
  }

  /** Removes the waiting sandboxes. */
  async close(): Promise<void> {
    this.isClosed = true;
    await this.filling?.catch(() => undefined);
    const waiting = this.ready.splice(0);
    await Promise.all(waiting.map((sandbox) => sandbox.remove().catch(() => undefined)));
  }

  private async fillNow(): Promise<void> {
    while (!this.isClosed && this.ready.length < this.options.size) {
      const sandbox = await this.options.create();
      if (this.isClosed) {
        await sandbox.remove().catch(() => undefined);
        return;
      }
      this.ready.push(sandbox);
    }
  }
}

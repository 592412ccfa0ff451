import pg from 'pg';
import type { Logger } from 'pino';

export interface PgListenerOptions {
  databaseUrl: string;
  logger: Logger;
  /** First delay before reconnecting a dropped connection; doubles up to `maxReconnectDelayMs`. */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

/**
 * One Postgres connection (`application_name` `metisai-listen`) that LISTENs on the channels of this process and
 * hands each NOTIFY payload to its channel's handler. A dropped connection is reconnected with backoff; notices sent
 * meanwhile are lost, so `onReconnect` listeners catch up from what is stored.
 */
export class PgListener {
  readonly #options: PgListenerOptions;
  readonly #log: Logger;
  readonly #handlers = new Map<string, (payload: string | undefined) => void>();
  readonly #reconnectListeners = new Set<() => void>();
  #client: pg.Client | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelayMs: number;
  #isClosed = false;

  constructor(options: PgListenerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'pg-listener' });
    this.#reconnectDelayMs = options.minReconnectDelayMs ?? 100;
  }

  /** Whether the connection is up. */
  get isListening(): boolean {
    return this.#client !== undefined;
  }

  /** Routes NOTIFYs on `channel` (a plain identifier) to `handler`. Register every channel before `start()`. */
  listen(channel: string, handler: (payload: string | undefined) => void): void {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
    if (this.#client) throw new Error('register channels before start()');
    this.#handlers.set(channel, handler);
  }

  /** Called after a dropped connection is back (notices sent meanwhile are lost). Returns the unsubscribe function. */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => this.#reconnectListeners.delete(listener);
  }

  /** Connects and LISTENs; throws when the database cannot be reached. */
  async start(): Promise<void> {
    this.#client = await this.#connect();
  }

  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearTimeout(this.#reconnectTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#options.databaseUrl, keepAlive: true, application_name: 'metisai-listen' });
    client.on('notification', (message) => this.#handlers.get(message.channel)?.(message.payload));
    client.on('error', (error) => this.#handleDrop(client, error));
    client.on('end', () => this.#handleDrop(client));
    try {
      await client.connect();
      for (const channel of this.#handlers.keys()) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    return client;
  }

  #handleDrop(client: pg.Client, error?: Error): void {
    if (client !== this.#client || this.#isClosed) return;
    this.#client = undefined;
    this.#log.warn({ err: error }, 'LISTEN connection lost; reconnecting');
    client.end().catch(() => {});
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delay = this.#reconnectDelayMs;
    this.#reconnectTimer = setTimeout(async () => {
      try {
        const client = await this.#connect();
        if (this.#isClosed) {
          await client.end().catch(() => {});
          return;
        }
        this.#client = client;
        this.#reconnectDelayMs = this.#options.minReconnectDelayMs ?? 100;
        this.#log.info('LISTEN connection restored');
        for (const listener of this.#reconnectListeners) listener();
      } catch (error) {
        this.#log.warn({ err: error, retry_ms: delay }, 'LISTEN reconnect failed');
        this.#reconnectDelayMs = Math.min(delay * 2, this.#options.maxReconnectDelayMs ?? 5000);
        if (!this.#isClosed) this.#scheduleReconnect();
      }
    }, delay);
  }
}

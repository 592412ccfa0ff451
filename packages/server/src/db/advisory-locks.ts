import pg from 'pg';
import type { Logger } from 'pino';

/** A stable 64-bit advisory-lock key for a string (Postgres computes it, so every process agrees). */
const KEY_SQL = `hashtextextended($1, 0)`;

/**
 * Postgres session advisory locks, by name, on one dedicated connection per process (`application_name`
 * `metisai-locks`). A lock held here is held for as long as this process lives or until released; a lock that can be
 * taken belongs to nobody alive. The server uses it for a conversation's run (`run:<id>`, see `runs/run-lock.ts`), for
 * the process itself (`instance:<id>`) and for work done once across replicas.
 */
export class AdvisoryLocks {
  readonly #url: string;
  readonly #logger: Logger;
  #client: pg.Client | null = null;
  readonly #held = new Set<string>();
  /** Serialises queries on the single connection. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(databaseUrl: string, logger: Logger) {
    this.#url = databaseUrl;
    this.#logger = logger;
  }

  async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url, application_name: 'metisai-locks' });
    client.on('error', (error) => {
      // The connection is gone and its locks with it: say so loudly; runs in flight finish but are unguarded.
      this.#logger.error({ err: error, held: [...this.#held] }, 'lock connection lost');
      this.#client = null;
      this.#held.clear();
    });
    await client.connect();
    this.#client = client;
  }

  /**
   * Takes `name` if nobody holds it: false when another process has it, or this one already does (or is taking it).
   * Session locks are reentrant in Postgres and every lock of this process is on one session, so `name` is
   * reserved here, synchronously, before the query: two concurrent calls cannot both win.
   */
  async tryAcquire(name: string): Promise<boolean> {
    if (this.#held.has(name)) return false;
    this.#held.add(name);
    try {
      const { rows } = await this.#query<{ locked: boolean }>(`select pg_try_advisory_lock(${KEY_SQL}) as locked`, [name]);
      if (!rows[0]?.locked) this.#held.delete(name);
      return !!rows[0]?.locked;
    } catch (error) {
      this.#held.delete(name);
      throw error;
    }
  }

  async release(name: string): Promise<void> {
    if (!this.#held.delete(name)) return;
    await this.#query(`select pg_advisory_unlock(${KEY_SQL})`, [name]).catch((error: unknown) =>
      this.#logger.warn({ err: error, lock: name }, 'could not release lock'),
    );
  }

  /** Does this process hold `name`? False once the lock connection is lost (its locks went with it). */
  holds(name: string): boolean {
    return this.#held.has(name);
  }

  /** Is `name` held by a live session other than ours? (Takes and drops it when free.) */
  async isHeldElsewhere(name: string): Promise<boolean> {
    if (this.#held.has(name)) return false;
    if (!(await this.tryAcquire(name))) return true;
    await this.release(name);
    return false;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    this.#held.clear();
    await client?.end().catch(() => undefined);
  }

  #query<Row extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
    const run = this.#queue.then(() => {
      if (!this.#client) throw new Error('the lock connection is not open');
      return this.#client.query<Row>(text, values);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';

/** A bucket's size and refill: `capacity` tokens at most, refilled at `capacity / windowSeconds` per second. */
export interface BucketLimit {
  capacity: number;
  windowSeconds: number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** The bucket's level now: what it held at `updated_at` plus the refill since, at most its capacity. */
const LEVEL = 'least(excluded.capacity, b.tokens + extract(epoch from excluded.updated_at - b.updated_at) * excluded.refill_per_second)';

/**
 * Takes one token from the bucket `key` in a single statement (an upsert on `rate_limits`, row-locked): a new bucket
 * starts full; a bucket with less than one token refuses and is left as it is, so refused attempts do not dig it
 * deeper. `full_at` says when the bucket is full again; rows past it are swept.
 */
const TAKE_SQL = `
  insert into rate_limits as b (key, tokens, capacity, refill_per_second, allowed, updated_at, full_at)
  values (?, ?::float8 - 1, ?::float8, ?::float8, true, clock_timestamp(), clock_timestamp() + make_interval(secs => 1 / ?::float8))
  on conflict (key) do update set
    tokens = case when ${LEVEL} >= 1 then ${LEVEL} - 1 else ${LEVEL} end,
    capacity = excluded.capacity,
    refill_per_second = excluded.refill_per_second,
    allowed = ${LEVEL} >= 1,
    updated_at = excluded.updated_at,
    full_at = excluded.updated_at + make_interval(secs => (excluded.capacity - (case when ${LEVEL} >= 1 then ${LEVEL} - 1 else ${LEVEL} end)) / excluded.refill_per_second)
  returning tokens, allowed, refill_per_second`;

/**
 * Rate limits shared by every server process: token buckets in the `rate_limits` table (Postgres), so N replicas
 * allow what one does. One round trip per check; rows of buckets that are full again are swept once a minute.
 */
export class TokenBuckets {
  #lastSweep = 0;

  /** Takes a token from `key`'s bucket; when none is left, answers when the next one comes (seconds, at least 1). */
  async take(em: EntityManager, key: string, limit: BucketLimit): Promise<TakeResult> {
    await this.#sweep(em);
    const rate = limit.capacity / limit.windowSeconds;
    const [row] = await em.execute<{ tokens: number; allowed: boolean; refill_per_second: number }[]>(TAKE_SQL, [
      key,
      limit.capacity,
      limit.capacity,
      rate,
      rate,
    ]);
    if (row!.allowed) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - Number(row!.tokens)) / Number(row!.refill_per_second))) };
  }

  async #sweep(em: EntityManager): Promise<void> {
    if (Date.now() - this.#lastSweep < 60_000) return;
    this.#lastSweep = Date.now();
    await em.execute('delete from rate_limits where full_at < clock_timestamp()');
  }
}

/** Exponential backoff with jitter, and `Retry-After` parsing. Internal: never re-exported. */

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  initialMs: number;
  /** Cap of the delay, before jitter. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 8_000 };

/**
 * Delay before retry number `attempt` (1-based): `min(maxMs, initialMs · 2^(attempt-1))`, then "equal jitter":
 * a uniformly random value in `[base/2, base]`, so simultaneous clients spread out but never retry at once.
 */
export function backoffMs(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return base / 2 + (base / 2) * random();
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delay-seconds (`"2"`, `"0.5"`) or an HTTP-date.
 * Answers undefined when the header is absent or unreadable; a date in the past gives 0.
 */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (header == null) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  if (!/^[A-Za-z]/.test(value)) return undefined; // an HTTP-date starts with the day name
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

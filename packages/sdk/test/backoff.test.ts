import { describe, expect, test } from 'vitest';
import { backoffMs, parseRetryAfterMs, sleep } from '../src/internal/backoff.ts';

describe('backoffMs', () => {
  test('doubles per attempt, with jitter inside [base/2, base]', () => {
    const options = { initialMs: 100, maxMs: 10_000 };
    for (const [attempt, base] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 800],
    ] as const) {
      expect(backoffMs(attempt, options, () => 0)).toBe(base / 2);
      expect(backoffMs(attempt, options, () => 1)).toBe(base);
      for (let i = 0; i < 200; i++) {
        const delay = backoffMs(attempt, options);
        expect(delay).toBeGreaterThanOrEqual(base / 2);
        expect(delay).toBeLessThanOrEqual(base);
      }
    }
  });

  test('is capped at maxMs, and the default starts at 250–500 ms', () => {
    expect(backoffMs(30, { initialMs: 100, maxMs: 1_000 }, () => 1)).toBe(1_000);
    expect(backoffMs(30, { initialMs: 100, maxMs: 1_000 }, () => 0)).toBe(500);
    const first = backoffMs(1);
    expect(first).toBeGreaterThanOrEqual(250);
    expect(first).toBeLessThanOrEqual(500);
  });

  test('jitter spreads clients out', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffMs(3)));
    expect(delays.size).toBeGreaterThan(40);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  test('delay-seconds, whole or fractional', () => {
    expect(parseRetryAfterMs('2', now)).toBe(2_000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
    expect(parseRetryAfterMs('0.25', now)).toBe(250);
  });
  test('an HTTP-date, relative to now; a past date is 0', () => {
    expect(parseRetryAfterMs('Wed, 25 Nov 2026 12:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfterMs('Wed, 25 Nov 2026 11:59:00 GMT', now)).toBe(0);
  });
  test('absent or unreadable is undefined', () => {
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseRetryAfterMs('', now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs('-1', now)).toBeUndefined();
  });
});

describe('sleep', () => {
  test('rejects with the reason when aborted', async () => {
    const controller = new AbortController();
    const slept = sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(slept).rejects.toThrow('stop');
  });
});

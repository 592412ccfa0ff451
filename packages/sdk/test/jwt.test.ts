import { describe, expect, test } from 'vitest';
import { jwtExpiryMs } from '../src/internal/jwt.ts';
import { fakeJwt } from './support/fakes.ts';

describe('jwtExpiryMs', () => {
  test('reads exp (seconds) as milliseconds, without verifying', () => {
    expect(jwtExpiryMs(fakeJwt({ sub: 'u', exp: 1_800_000_000 }))).toBe(1_800_000_000_000);
  });
  test('handles base64url payloads that need padding and non-ASCII claims', () => {
    expect(jwtExpiryMs(fakeJwt({ name: 'Zoë ✓?>', exp: 42 }))).toBe(42_000);
  });
  test('undefined for API keys, garbage and tokens without exp', () => {
    expect(jwtExpiryMs('metis_abcdef')).toBeUndefined();
    expect(jwtExpiryMs('a.b.c')).toBeUndefined();
    expect(jwtExpiryMs(fakeJwt({ sub: 'u' }))).toBeUndefined();
    expect(jwtExpiryMs(fakeJwt({ exp: 'tomorrow' }))).toBeUndefined();
  });
});

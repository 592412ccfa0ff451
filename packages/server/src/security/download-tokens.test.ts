import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { DOWNLOAD_URL_TTL_SECONDS, signDownload, verifyDownload } from './download-tokens.ts';

const key = randomBytes(32);
const now = 1_800_000_000;
const grant = { userId: 'u1', conversationId: 'c1', path: 'src/日本.txt', isArchive: false, expiresAt: now + 60 };

test('a signed grant verifies until it expires', () => {
  const token = signDownload(key, grant);
  expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
  expect(verifyDownload(key, token, now)).toEqual(grant);
  expect(verifyDownload(key, token, now + 60)).toBeNull();
});

test('another key, a changed payload or signature, garbage and over-long lives are refused', () => {
  const token = signDownload(key, grant);
  const [payload, signature] = token.split('.') as [string, string];
  expect(verifyDownload(randomBytes(32), token, now)).toBeNull();
  const forged = Buffer.from(JSON.stringify({ u: 'u2', c: 'c1', p: 'src', a: 0, e: now + 60 })).toString('base64url');
  expect(verifyDownload(key, `${forged}.${signature}`, now)).toBeNull();
  expect(verifyDownload(key, `${payload}.${signature.slice(0, -2)}`, now)).toBeNull();
  for (const bad of ['', '.', 'a.b.c', 'nodot', `${payload}.`]) expect(verifyDownload(key, bad, now)).toBeNull();
  const longLived = signDownload(key, { ...grant, expiresAt: now + DOWNLOAD_URL_TTL_SECONDS * 10 });
  expect(verifyDownload(key, longLived, now)).toBeNull();
});

import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { AdvisoryLocks } from '../../src/db/advisory-locks.ts';
import { createTestDatabase } from '../support/test-server.ts';

let url: string;
const opened: AdvisoryLocks[] = [];
const open = async () => {
  const locks = new AdvisoryLocks(url, createLogger('silent'));
  await locks.open();
  opened.push(locks);
  return locks;
};
beforeAll(async () => {
  url = await createTestDatabase();
});
afterAll(async () => {
  await Promise.all(opened.map((locks) => locks.close()));
});

test('concurrent takers in one process: exactly one wins (Postgres session locks are reentrant)', async () => {
  const locks = await open();
  const results = await Promise.all(Array.from({ length: 20 }, () => locks.tryAcquire('run:same')));
  expect(results.filter(Boolean)).toHaveLength(1);
  await locks.release('run:same');
  expect(await locks.tryAcquire('run:same')).toBe(true);
});

test('another process cannot take a held lock until it is released; isHeldElsewhere tells', async () => {
  const [a, b] = [await open(), await open()];
  expect(await a.tryAcquire('run:shared')).toBe(true);
  expect(await b.tryAcquire('run:shared')).toBe(false);
  expect(await b.isHeldElsewhere('run:shared')).toBe(true);
  await a.release('run:shared');
  expect(await b.isHeldElsewhere('run:shared')).toBe(false);
  expect(await b.tryAcquire('run:shared')).toBe(true);
  // A process that goes away frees its locks.
  await b.close();
  expect(await a.tryAcquire('run:shared')).toBe(true);
});

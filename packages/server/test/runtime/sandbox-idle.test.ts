import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localDriver } from '@metisai/sandbox';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AdvisoryLocks } from '../../src/db/advisory-locks.ts';
import { createOrm, type Orm } from '../../src/db/orm.ts';
import { createLogger } from '../../src/logger.ts';
import { RunLock, runLockName } from '../../src/runs/run-lock.ts';
import { SandboxManager, sandboxOwner } from '../../src/sandboxes/sandbox-manager.ts';
import { createTestDatabase } from '../support/test-server.ts';

const logger = createLogger('silent');
let rootDir: string;
let orm: Orm;
let here: AdvisoryLocks;
let elsewhere: AdvisoryLocks;
beforeAll(async () => {
  rootDir = await mkdtemp(path.join(tmpdir(), 'metis-idle-'));
  const databaseUrl = await createTestDatabase();
  orm = await createOrm({ databaseUrl, logger });
  // Two lock sessions: this process's, and another server process's.
  here = new AdvisoryLocks(databaseUrl, logger);
  elsewhere = new AdvisoryLocks(databaseUrl, logger);
  await here.open();
  await elsewhere.open();
});
afterAll(async () => {
  await here?.close();
  await elsewhere?.close();
  await orm?.close();
  await rm(rootDir, { recursive: true, force: true });
});

test('an idle sandbox stops after its idle time, unless another process runs the conversation by then: then it is only let go', async () => {
  const instanceId = 'install:process';
  const driver = localDriver({ rootDir, owner: sandboxOwner(instanceId), onLog: () => undefined });
  const runLock = new RunLock(here, orm);
  const manager = new SandboxManager({ driver, instanceId, logger, locks: here, maxPerUser: 100, isRunElsewhere: (id) => runLock.isHeldElsewhere(id) });
  const request = (conversationId: string) => ({
    conversationId,
    userId: '0190a000-0000-7000-8000-0000000000aa',
    sandboxId: null,
    workspace: null,
    agentId: null,
    image: undefined,
    network: 'egress' as const,
    env: undefined,
  });
  const stateOf = async (id: string) => (await driver.list()).find((info) => info.id === id)?.state;
  try {
    const quiet = await manager.acquire(request('quiet'));
    const busy = await manager.acquire(request('busy'));
    expect(await elsewhere.tryAcquire(runLockName('busy'))).toBe(true);
    manager.release('quiet', 0.05);
    manager.release('busy', 0.05);
    await expect.poll(() => manager.isLive('quiet') || manager.isLive('busy'), { timeout: 5_000 }).toBe(false);
    await expect.poll(() => stateOf(quiet.id), { timeout: 5_000 }).toBe('stopped');
    expect(await stateOf(busy.id)).toBe('running');
    // A holder keeps it: no idle stop while an operation or a run holds the sandbox.
    const held = await manager.acquire(request('held'));
    await manager.acquire(request('held'));
    manager.release('held', 0.05);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(manager.isLive('held')).toBe(true);
    expect(await stateOf(held.id)).toBe('running');
  } finally {
    await manager.close();
    await driver.reap({ keep: [] });
  }
});

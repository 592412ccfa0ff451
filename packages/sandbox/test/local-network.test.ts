import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { localDriver } from '../src/index.ts';

const rootDir = await mkdtemp(join(tmpdir(), 'metis-local-network-'));
afterAll(() => rm(rootDir, { recursive: true, force: true }));

test('the local driver cannot fence its network: it refuses any policy but egress, creating nothing', async () => {
  const driver = localDriver({ rootDir, onLog: () => undefined });
  await expect(driver.create({ network: 'none' })).rejects.toMatchObject({
    code: 'invalid_argument',
    message: expect.stringContaining('cannot enforce the network policy "none"'),
  });
  expect(await driver.list()).toEqual([]);
  const sandbox = await driver.create({ network: 'egress' });
  try {
    expect(sandbox.network).toBe('egress');
    await expect(sandbox.setNetwork('none')).rejects.toMatchObject({ code: 'invalid_argument' });
    await sandbox.stop();
    await expect(driver.connect(sandbox.id, { network: 'none' })).rejects.toMatchObject({ code: 'invalid_argument' });
  } finally {
    await driver.remove(sandbox.id);
  }
});

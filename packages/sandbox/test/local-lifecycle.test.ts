import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localDriver } from '../src/index.ts';
import { outputOf, run } from './helpers/run-command.ts';
import { runAndKillOwner } from './helpers/run-owner-process.ts';
import { watchLocalSandbox } from './helpers/watch-local-sandbox.ts';
import { driverSuite } from './suites/driver-suite.ts';

describe('local lifecycle', () => {
  let rootDir: string;
  beforeAll(async () => {
    rootDir = await mkdtemp(join(tmpdir(), 'metis-local-life-'));
  });
  afterAll(async () => {
    await rm(rootDir, { recursive: true, force: true });
  });

  describe('the driver', () =>
    driverSuite({
      driver: (owner) => localDriver({ rootDir, owner, onLog: () => undefined }),
      unknownId: 'local-000000000000',
      watch: (sandbox) => watchLocalSandbox(dirname(sandbox.workdir)),
    }));

  test('warns once per driver that it is for development, and works in its own directory under rootDir', async () => {
    const logs: string[] = [];
    const driver = localDriver({ rootDir, onLog: (line) => logs.push(line) });
    const [one, two] = [await driver.create(), await driver.create({ image: 'ignored:latest' })];
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('development only');
    expect(one.driver).toBe('local');
    expect(one.workdir).toBe(join(rootDir, one.id, 'workspace'));
    expect(await outputOf(one, 'pwd')).toBe(one.workdir);
    expect((await two.info()).image).toBeNull();
    await Promise.all([one.remove(), two.remove()]);
    await expect(stat(join(rootDir, one.id))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('reconnects by id after the owning process dies: cwd and env restored, background jobs gone and reported', async () => {
    const owned = await runAndKillOwner('local', rootDir);
    const sandbox = await localDriver({ rootDir, onLog: () => undefined }).connect(owned.id);
    const first = await run(sandbox, 'echo "$OWNER_VAR|$OWNER_SECRET"; pwd');
    expect(first.output).toBe(`kept across restarts|from setEnv\n${owned.workdir}/deep/dir`);
    expect(first.text).toContain('1 background job of the previous shell is gone.');
    // Killed; a zombie counts as gone (this host's PID 1 may not reap orphans).
    const state = `if read -r l 2>/dev/null </proc/${owned.jobPid}/stat; then s=\${l##*) }; [[ \${s:0:1} == Z ]] && echo gone || echo running; else echo gone; fi`;
    expect(await outputOf(sandbox, state)).toBe('gone');
    await sandbox.remove();
  });
});

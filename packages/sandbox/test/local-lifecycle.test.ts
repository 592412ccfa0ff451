import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectSandbox, createSandbox, LocalSandbox, SandboxNotFoundError } from '../src/index.ts';
import { outputOf, run } from './helpers/run-command.ts';
import { runAndKillOwner } from './helpers/run-owner-process.ts';

describe('local lifecycle', () => {
  let rootDir: string;
  beforeAll(async () => {
    rootDir = await mkdtemp(join(tmpdir(), 'metis-local-life-'));
  });
  afterAll(async () => {
    await rm(rootDir, { recursive: true, force: true });
  });

  test('createSandbox picks the local driver, warns that it is for development, and works in its own directory', async () => {
    const logs: string[] = [];
    const sandbox = await createSandbox({ driver: 'local', rootDir, onLog: (line) => logs.push(line) });
    expect(sandbox.driver).toBe('local');
    expect(sandbox.workdir).toBe(join(rootDir, sandbox.id, 'workspace'));
    expect(await outputOf(sandbox, 'pwd')).toBe(sandbox.workdir);
    expect(logs.concat('').join('\n')).toMatch(/development only|^$/);
    await sandbox.remove();
    await expect(stat(join(rootDir, sandbox.id))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('reconnects by id after the owning process dies: cwd and env restored, background jobs gone and reported', async () => {
    const owned = await runAndKillOwner('local', rootDir);
    const sandbox = await connectSandbox(owned.id, { driver: 'local', rootDir });
    const first = await run(sandbox, 'echo "$OWNER_VAR|$OWNER_SECRET"; pwd');
    expect(first.output).toBe(`kept across restarts|from setEnv\n${owned.workdir}/deep/dir`);
    expect(first.text).toContain('1 background job of the previous shell is gone.');
    // Killed; a zombie counts as gone (this host's PID 1 may not reap orphans).
    const state = `if read -r l 2>/dev/null </proc/${owned.jobPid}/stat; then s=\${l##*) }; [[ \${s:0:1} == Z ]] && echo gone || echo running; else echo gone; fi`;
    expect(await outputOf(sandbox, state)).toBe('gone');
    await sandbox.remove();
  });

  test('lists sandboxes by owner and reaps orphans', async () => {
    const [kept, orphan] = await Promise.all([
      LocalSandbox.create({ rootDir, owner: 'reaper', conversationId: 'c9', onLog: () => undefined }),
      LocalSandbox.create({ rootDir, owner: 'reaper', onLog: () => undefined }),
    ]);
    await outputOf(orphan, 'sleep 300 &');
    const listed = await LocalSandbox.list({ rootDir, owner: 'reaper' });
    expect(listed.map((info) => info.id).sort()).toEqual([kept.id, orphan.id].sort());
    expect(listed.find((info) => info.id === kept.id)).toMatchObject({ driver: 'local', owner: 'reaper', conversationId: 'c9', state: 'running' });
    expect(await LocalSandbox.reap({ rootDir, owner: 'reaper', keep: [kept.id] })).toEqual([orphan.id]);
    expect((await LocalSandbox.list({ rootDir, owner: 'reaper' })).map((info) => info.id)).toEqual([kept.id]);
    await kept.stop();
    expect((await kept.info()).state).toBe('stopped');
    await kept.remove();
    await expect(LocalSandbox.connect(kept.id, { rootDir })).rejects.toBeInstanceOf(SandboxNotFoundError);
  });
});

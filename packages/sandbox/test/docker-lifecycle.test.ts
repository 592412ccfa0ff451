import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, describe, expect, test } from 'vitest';
import { connectSandbox, createSandbox, defaultSandboxImage, DockerSandbox, SandboxNotFoundError, SandboxNotRunningError, SandboxPool } from '../src/index.ts';
import { hasDocker, STOCK_IMAGE } from './helpers/docker-availability.ts';
import { outputOf, run } from './helpers/run-command.ts';
import { runAndKillOwner } from './helpers/run-owner-process.ts';

describe.skipIf(!hasDocker)('docker lifecycle', () => {
  const docker = new Docker();
  const cleanup: string[] = [];
  afterAll(async () => {
    await Promise.all(
      cleanup.map((id) =>
        docker
          .getContainer(id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  });

  test('reconnects by id after the owning process dies: cwd and env restored, background jobs gone and reported', async () => {
    const owned = await runAndKillOwner('docker', STOCK_IMAGE);
    cleanup.push(owned.id);
    const sandbox = await DockerSandbox.connect(owned.id);
    expect(sandbox.id).toBe(owned.id);
    expect(sandbox.shell.cwd).toBe(`${owned.workdir}/deep/dir`);

    const first = await run(sandbox, 'echo "$OWNER_VAR|$OWNER_SECRET"; pwd; jobs | wc -l');
    expect(first.output).toBe(`kept across restarts|from setEnv\n${owned.workdir}/deep/dir\n0`);
    expect(first.text).toMatch(
      /^\[The sandbox shell was restarted \(reconnect\): working directory and exported environment were restored; 1 background job of the previous shell is gone\.\]\n/,
    );
    expect(await outputOf(sandbox, `[[ -e /proc/${owned.jobPid} ]] && echo running || echo gone`)).toBe('gone');
    // Only the first observation carries the note.
    expect((await run(sandbox, 'true')).text).not.toContain('restarted');
    await sandbox.remove();
  });

  test('stop, then connect starts the sandbox again with its files and state', async () => {
    const sandbox = await DockerSandbox.create({ image: STOCK_IMAGE, owner: 'metisai-tests' });
    cleanup.push(sandbox.id);
    await outputOf(sandbox, 'cd /tmp && export AFTER_STOP=yes && echo data > /workspace/kept.txt');
    await sandbox.stop();
    expect((await DockerSandbox.list({ owner: 'metisai-tests' })).find((info) => info.id === sandbox.id)?.state).toBe('exited');
    const again = await connectSandbox(sandbox.id);
    expect(await outputOf(again, 'echo "$AFTER_STOP"; pwd; cat /workspace/kept.txt')).toBe('yes\n/tmp\ndata');
    await again.remove();
    await expect(DockerSandbox.connect(sandbox.id)).rejects.toBeInstanceOf(SandboxNotFoundError);
  });

  test('a sandbox that dies is reported as not running', async () => {
    const sandbox = await DockerSandbox.create({ image: STOCK_IMAGE, owner: 'metisai-tests' });
    cleanup.push(sandbox.id);
    await docker.getContainer(sandbox.id).kill();
    const result = await sandbox.shell.execute({ command: 'echo hi', timeout: 30 }).catch((err: unknown) => err);
    // Either the shell was already gone (the command cannot start) or it died under the command.
    if (result instanceof Error) {
      expect(result).toBeInstanceOf(SandboxNotRunningError);
      expect(result).toMatchObject({ code: 'not_running' });
    } else {
      expect(result).toMatchObject({ status: 'shell_restarted' });
      await expect(sandbox.shell.execute({ command: 'echo hi' })).rejects.toMatchObject({ code: 'not_running' });
    }
    await sandbox.remove();
  });

  test('lists sandboxes by owner label and reaps orphans', async () => {
    const owner = `reap-${randomUUID().slice(0, 8)}`;
    const [kept, orphan, another] = await Promise.all([
      DockerSandbox.create({ image: STOCK_IMAGE, owner, conversationId: 'c1' }),
      DockerSandbox.create({ image: STOCK_IMAGE, owner }),
      DockerSandbox.create({ image: STOCK_IMAGE, owner: `${owner}-other` }),
    ]);
    cleanup.push(kept.id, orphan.id, another.id);
    const listed = await DockerSandbox.list({ owner });
    expect(listed.map((info) => info.id).sort()).toEqual([kept.id, orphan.id].sort());
    expect(listed.find((info) => info.id === kept.id)).toMatchObject({ driver: 'docker', owner, conversationId: 'c1', state: 'running', image: STOCK_IMAGE });

    expect(await DockerSandbox.reap({ owner, keep: [kept.id] })).toEqual([orphan.id]);
    expect((await DockerSandbox.list({ owner })).map((info) => info.id)).toEqual([kept.id]);
    expect((await DockerSandbox.list({ owner: `${owner}-other` })).map((info) => info.id)).toEqual([another.id]);
    expect(await DockerSandbox.reap({ owner: `${owner}-other`, keep: () => false })).toEqual([another.id]);
    await kept.remove();
  });

  test('createSandbox picks the Docker driver; the default image is used when present', async () => {
    const logs: string[] = [];
    const sandbox = await createSandbox({ driver: 'docker', owner: 'metisai-tests', onLog: (line) => logs.push(line) });
    cleanup.push(sandbox.id);
    expect(sandbox.driver).toBe('docker');
    expect((await sandbox.info()).image).toBe(defaultSandboxImage());
    expect(await outputOf(sandbox, 'id -u; command -v git curl python3 node rg | wc -l')).toBe('1000\n5');
    await sandbox.remove();
  });

  test('a missing default image is built on first use, with progress in the log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metis-image-'));
    const tag = `metisai-test/default-build:${randomUUID().slice(0, 8)}`;
    await writeFile(join(dir, 'Dockerfile'), 'ARG BASE_IMAGE=debian:bookworm-slim\nFROM ${BASE_IMAGE}\nRUN echo built-on-first-use > /etc/metisai-build\n');
    const saved = { image: process.env.METISAI_SANDBOX_IMAGE, dockerfile: process.env.METISAI_SANDBOX_DOCKERFILE };
    process.env.METISAI_SANDBOX_IMAGE = tag;
    process.env.METISAI_SANDBOX_DOCKERFILE = join(dir, 'Dockerfile');
    const logs: string[] = [];
    try {
      const sandbox = await DockerSandbox.create({ owner: 'metisai-tests', onLog: (line) => logs.push(line) });
      cleanup.push(sandbox.id);
      expect(await outputOf(sandbox, 'cat /etc/metisai-build')).toBe('built-on-first-use');
      expect(logs.join('\n')).toContain(`building image ${tag}`);
      expect(logs.some((line) => /Step \d+\/\d+ : FROM/.test(line))).toBe(true);
      await sandbox.remove();
    } finally {
      process.env.METISAI_SANDBOX_IMAGE = saved.image;
      process.env.METISAI_SANDBOX_DOCKERFILE = saved.dockerfile;
      if (saved.image === undefined) delete process.env.METISAI_SANDBOX_IMAGE;
      if (saved.dockerfile === undefined) delete process.env.METISAI_SANDBOX_DOCKERFILE;
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a pool hands out a started sandbox with the conversation env at once', async () => {
    const pool = new SandboxPool({ size: 1, create: () => DockerSandbox.create({ image: STOCK_IMAGE, owner: 'metisai-tests' }) });
    await pool.fill();
    const started = performance.now();
    const sandbox = await pool.acquire({ env: { CONVERSATION_TOKEN: 'abc' } });
    const result = await sandbox.shell.execute({ command: 'echo "$CONVERSATION_TOKEN"', timeout: 30 });
    const elapsed = performance.now() - started;
    cleanup.push(sandbox.id);
    expect(result.output).toBe('abc');
    expect(elapsed).toBeLessThan(1_000);
    await pool.close();
    await sandbox.remove();
  });
});

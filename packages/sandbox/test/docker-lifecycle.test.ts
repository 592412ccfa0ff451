import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, test } from 'vitest';
import { dockerDriver, ImageNotFoundError, SandboxNotRunningError, SandboxPool } from '../src/index.ts';
import { buildTar } from '../src/files/tar-archive.ts';
import { hasDocker, STOCK_IMAGE } from './helpers/docker-availability.ts';
import { outputOf, run } from './helpers/run-command.ts';
import { runAndKillOwner } from './helpers/run-owner-process.ts';
import { watchContainer } from './helpers/watch-container.ts';
import { driverSuite } from './suites/driver-suite.ts';

describe.skipIf(!hasDocker)('docker lifecycle', () => {
  const docker = new Docker();
  const driver = dockerDriver({ docker, image: STOCK_IMAGE, owner: 'metisai-tests' });
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
    // Workspace volumes of the sandboxes above (the default workspace is the sandbox id) and of named workspaces.
    await Promise.all([...cleanup, ...workspaces].map((workspace) => driver.removeWorkspace(workspace).catch(() => undefined)));
  });
  const workspaces: string[] = [];

  describe('the driver', () =>
    driverSuite({
      driver: (owner) => dockerDriver({ docker, image: STOCK_IMAGE, owner }),
      unknownId: `metisai-${randomUUID().slice(0, 12)}`,
      watch: (sandbox) => watchContainer(sandbox.id, docker),
    }));

  test('reconnects by id after the owning process dies: cwd and env restored, background jobs gone and reported', async () => {
    const owned = await runAndKillOwner('docker', STOCK_IMAGE);
    cleanup.push(owned.id);
    const sandbox = await driver.connect(owned.id);
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

  test('a sandbox that dies is reported as not running', async () => {
    const sandbox = await driver.create();
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

  test('remove(id) leaves a container that is not a MetisAI sandbox alone', async () => {
    const name = `metisai-test-foreign-${randomUUID().slice(0, 8)}`;
    const foreign = await docker.createContainer({ name, Image: STOCK_IMAGE, Cmd: ['true'], Labels: { 'metisai.owner': 'metisai-tests' } });
    cleanup.push(name);
    await driver.remove(name);
    expect((await foreign.inspect()).Name).toBe(`/${name}`);
    await foreign.remove({ force: true });
  });

  test('the default image (metisai/sandbox:latest) is used when present', async () => {
    const sandbox = await dockerDriver({ owner: 'metisai-tests' }).create();
    cleanup.push(sandbox.id);
    expect(sandbox.driver).toBe('docker');
    expect((await sandbox.info()).image).toBe('metisai/sandbox:latest');
    expect(await outputOf(sandbox, 'id -u; command -v git curl python3 node rg | wc -l')).toBe('1000\n5');
    await sandbox.remove();
  });

  test("a missing default image is built on first use from the driver's Dockerfile and base image, with progress in the log", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metis-image-'));
    const tag = `metisai-test/default-build:${randomUUID().slice(0, 8)}`;
    await writeFile(join(dir, 'Dockerfile'), 'ARG BASE_IMAGE=absent/base-image\nFROM ${BASE_IMAGE}\nRUN echo built-on-first-use > /etc/metisai-build\n');
    const logs: string[] = [];
    try {
      const builder = dockerDriver({
        image: tag,
        dockerfile: join(dir, 'Dockerfile'),
        baseImage: STOCK_IMAGE,
        owner: 'metisai-tests',
        onLog: (line) => logs.push(line),
      });
      // Concurrent creates wait for the same build.
      const sandboxes = await Promise.all([builder.create(), builder.create()]);
      cleanup.push(...sandboxes.map((sandbox) => sandbox.id));
      for (const sandbox of sandboxes) expect(await outputOf(sandbox, 'cat /etc/metisai-build')).toBe('built-on-first-use');
      expect(logs.filter((line) => line.includes(`building image ${tag} from ${STOCK_IMAGE}`))).toHaveLength(1);
      expect(logs.some((line) => /Step \d+\/\d+ : FROM/.test(line))).toBe(true);
      await Promise.all(sandboxes.map((sandbox) => sandbox.remove()));
    } finally {
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('imageBuild builds the image with step progress; a failing build carries the end of its log; the image is never pulled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metis-image-'));
    const tag = `metisai-test/image-build:${randomUUID().slice(0, 8)}`;
    await writeFile(join(dir, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo one > /one\nRUN echo two > /two\n');
    const logs: string[] = [];
    try {
      const driver = dockerDriver({
        image: tag,
        dockerfile: join(dir, 'Dockerfile'),
        baseImage: STOCK_IMAGE,
        buildDefaultImage: false,
        owner: 'metisai-tests',
        onLog: (line) => logs.push(line),
      });
      const build = driver.imageBuild!;
      expect(build.image).toBe(tag);
      expect(build.matches(tag)).toBe(true);
      expect(build.matches(STOCK_IMAGE)).toBe(false);
      expect(await build.exists()).toBe(false);
      // Without the build, the missing image fails at once: neither built nor pulled.
      const refused = await driver.create().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ImageNotFoundError);
      expect((refused as Error).message).toContain('never pulled');
      expect(logs.some((line) => line.includes('pulling'))).toBe(false);

      const progress: Array<{ step: number | null; steps: number | null; instruction: string | null; lines: number }> = [];
      await build.build({ onProgress: (update) => progress.push(update) });
      expect(await build.exists()).toBe(true);
      const steps = progress.filter((update) => update.step !== null).map((update) => `${update.step}/${update.steps}`);
      expect([...new Set(steps)]).toEqual(['1/4', '2/4', '3/4', '4/4']);
      expect(progress.find((update) => update.step === 3)!.instruction).toBe('RUN echo one > /one');
      expect(progress.at(-1)!.lines).toBeGreaterThan(4);

      await writeFile(join(dir, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo the-last-words-of-the-build && exit 3\n');
      const failing = dockerDriver({ image: `${tag}-failing`, dockerfile: join(dir, 'Dockerfile'), baseImage: STOCK_IMAGE, onLog: () => {} });
      const error = await failing.imageBuild!.build().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: 'ImageBuildError', code: 'image_build_failed' });
      expect((error as { logTail: string }).logTail).toContain('the-last-words-of-the-build');
      expect((error as Error).message).toContain('returned a non-zero code: 3');
    } finally {
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a missing default image of your own, without a Dockerfile, is pulled instead of built', async () => {
    const tag = `metisai-test/absent:${randomUUID().slice(0, 8)}`;
    const logs: string[] = [];
    const create = dockerDriver({ image: tag, owner: 'metisai-tests', onLog: (line) => logs.push(line) }).create();
    await expect(create).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(logs).toEqual([`[sandbox] pulling image ${tag}`]);
  });

  test('the workspace is a labelled volume that outlives its container: a new sandbox on it finds the files', async () => {
    const workspace = `test-${randomUUID().slice(0, 8)}`;
    workspaces.push(workspace);
    const volume = `metisai-ws-${workspace}`;
    const first = await driver.create({ workspace, conversationId: 'conv-ws' });
    cleanup.push(first.id);
    expect(first.workspace).toBe(workspace);
    await outputOf(first, `echo kept > ${first.workdir}/kept.txt`);
    expect((await docker.getVolume(volume).inspect()).Labels).toMatchObject({
      'metisai.managed': 'true',
      'metisai.owner': 'metisai-tests',
      'metisai.conversation': 'conv-ws',
      'metisai.workspace': workspace,
    });
    // Lost the way `docker container prune` loses a stopped sandbox: the container goes, the volume stays.
    await first.stop();
    await docker.getContainer(first.id).remove({ force: true });
    const second = await driver.create({ workspace });
    cleanup.push(second.id);
    expect(await outputOf(second, `cat ${second.workdir}/kept.txt; stat -c %u ${second.workdir}`)).toBe('kept\n1000');
    // A volume in use is left alone; remove(id) takes the container and its volume.
    await driver.removeWorkspace(workspace);
    await docker.getVolume(volume).inspect();
    await driver.remove(second.id);
    await expect(docker.getVolume(volume).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  test('removeWorkspace deletes a workspace whose sandbox is gone, and only MetisAI volumes', async () => {
    const workspace = `test-${randomUUID().slice(0, 8)}`;
    workspaces.push(workspace);
    const sandbox = await driver.create({ workspace });
    cleanup.push(sandbox.id);
    await docker.getContainer(sandbox.id).remove({ force: true });
    await driver.removeWorkspace(workspace);
    await expect(docker.getVolume(`metisai-ws-${workspace}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const foreign = `metisai-ws-foreign-${randomUUID().slice(0, 8)}`;
    await docker.createVolume({ Name: foreign });
    try {
      await driver.removeWorkspace(foreign.slice('metisai-ws-'.length));
      await docker.getVolume(foreign).inspect();
    } finally {
      await docker.getVolume(foreign).remove();
    }
    await expect(driver.create({ workspace: '../escape' })).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  test('a new workspace starts with the image content at /workspace, owned as in the image', async () => {
    const seedTag = `metisai-test-seeded:${randomUUID().slice(0, 8)}`;
    const seed = await docker.createContainer({ Image: STOCK_IMAGE, Cmd: ['true'] });
    try {
      await seed.putArchive(
        await buildTar(
          [
            { name: 'workspace/', type: 'directory', mode: 0o755 },
            { name: 'workspace/seed.txt', type: 'file', mode: 0o644, data: Buffer.from('from the image\n') },
          ],
          { uid: 1000, gid: 1000 },
        ),
        { path: '/' },
      );
      await seed.commit({ repo: seedTag.split(':')[0], tag: seedTag.split(':')[1] });
    } finally {
      await seed.remove({ force: true });
    }
    try {
      const sandbox = await dockerDriver({ docker, image: seedTag, owner: 'metisai-tests' }).create();
      cleanup.push(sandbox.id);
      expect(await outputOf(sandbox, `cat ${sandbox.workdir}/seed.txt && touch ${sandbox.workdir}/new && echo writable`)).toBe('from the image\nwritable');
      await sandbox.remove();
    } finally {
      await docker.getImage(seedTag).remove({ force: true });
    }
  });

  test('a pool hands out a started sandbox with the conversation env at once', async () => {
    const pool = new SandboxPool({ size: 1, create: () => driver.create() });
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

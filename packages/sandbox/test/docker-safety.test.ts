import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT_CAPABILITIES } from '../src/docker/container-config.ts';
import { SANDBOX_LABELS } from '../src/docker/sandbox-labels.ts';
import { type CreateSandboxOptions, type DockerDriverOptions, dockerDriver, ImageNotAllowedError, ImageWithoutBashError, type Sandbox } from '../src/index.ts';
import { hasDocker, STOCK_IMAGE } from './helpers/docker-availability.ts';
import { outputOf, run } from './helpers/run-command.ts';

const CAPABILITY_BITS: Record<string, number> = { CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETFCAP: 31 };

describe.skipIf(!hasDocker)('docker safety defaults', () => {
  const docker = new Docker();
  const created: Sandbox[] = [];
  const make = async (options: DockerDriverOptions = {}, create: CreateSandboxOptions = {}) => {
    const sandbox = await dockerDriver({ docker, image: STOCK_IMAGE, owner: 'metisai-tests', ...options }).create(create);
    created.push(sandbox);
    return sandbox;
  };
  afterAll(async () => {
    await Promise.all(created.map((sandbox) => sandbox.remove()));
  });

  test('runs as uid 1000 without capabilities or new privileges, owns /workspace, has no Docker socket', async () => {
    const sandbox = await make({}, { conversationId: 'conv-123' });
    expect(sandbox.workdir).toBe('/workspace');
    expect(await outputOf(sandbox, 'id -u; id -g; whoami; echo "$HOME"')).toBe('1000\n1000\nmetis\n/home/metis');
    expect(await outputOf(sandbox, 'grep -E "^(CapEff|CapPrm|NoNewPrivs)" /proc/self/status')).toBe(
      'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nNoNewPrivs:\t1',
    );
    expect(await outputOf(sandbox, `stat -c '%u:%g' ${sandbox.workdir}; touch ${sandbox.workdir}/mine && echo writable`)).toBe('1000:1000\nwritable');
    expect(await outputOf(sandbox, '[[ -e /var/run/docker.sock || -e /run/docker.sock ]] && echo present || echo absent')).toBe('absent');
    expect((await run(sandbox, 'touch /etc/nope')).exitCode).not.toBe(0);

    const details = await docker.getContainer(sandbox.id).inspect();
    expect(details.HostConfig.CapDrop).toEqual(['ALL']);
    expect(details.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(details.HostConfig.Privileged).toBe(false);
    expect(details.HostConfig.Binds ?? []).toEqual([]);
    expect(details.HostConfig.NetworkMode).toBe('metisai-sandboxes');
    expect(Object.keys(details.NetworkSettings.Networks)).toEqual(['metisai-sandboxes']);
    expect(await outputOf(sandbox, 'cat /proc/sys/net/ipv6/conf/all/disable_ipv6')).toBe('1');
    expect(details.HostConfig.PidsLimit).toBe(512);
    expect(details.HostConfig.Memory).toBe(2 * 1024 ** 3);
    expect(details.Config.Labels).toMatchObject({ [SANDBOX_LABELS.owner]: 'metisai-tests', [SANDBOX_LABELS.conversation]: 'conv-123' });
    expect(await sandbox.info()).toMatchObject({ id: sandbox.id, driver: 'docker', state: 'running', owner: 'metisai-tests', conversationId: 'conv-123' });
  });

  test('a fork bomb is stopped by the pids limit; the sandbox still answers and recovers', async () => {
    const sandbox = await make({ limits: { pids: 64 } });
    const bomb = await run(sandbox, ':(){ :|:& };:');
    expect(bomb.status).toBe('completed');

    // Builtins need no new process, so the shell answers while the bomb runs into the limit.
    // Probe until the bomb has hit it (the kernel refuses forks and the observation says so).
    const probe = 'read -r now < /sys/fs/cgroup/pids/pids.current; read -r max < /sys/fs/cgroup/pids/pids.max; echo "alive $now/$max"';
    let notes = bomb.text;
    const deadline = Date.now() + 20_000;
    while (!notes.includes('The sandbox reached its process limit') && Date.now() < deadline) {
      const during = await run(sandbox, probe);
      expect(during.output).toMatch(/alive \d+\/64/);
      const [, now] = /alive (\d+)\/64/.exec(during.output) ?? [];
      expect(Number(now)).toBeLessThanOrEqual(64);
      notes += during.text;
    }
    expect(notes).toContain('The sandbox reached its process limit (64 processes and threads)');
    expect(await docker.ping()).toBeTruthy();

    // `kill -9 -1` (a builtin) ends the bomb; repeat until only PID 1 and the shell are left and a fork works.
    const readPids = 'read -r now < /sys/fs/cgroup/pids/pids.current; echo "pids=$now"';
    let pids = '';
    for (let attempt = 0; attempt < 50 && pids !== 'pids=2'; attempt++) {
      await run(sandbox, 'kill -9 -1');
      pids = /pids=\d+/.exec((await run(sandbox, readPids)).output)?.[0] ?? '';
    }
    expect(pids).toBe('pids=2');
    expect(await outputOf(sandbox, 'echo "$(echo forked)"')).toBe('forked');
  });

  test('a memory hog is OOM-killed and reported; the shell survives', async () => {
    const sandbox = await make({ limits: { memoryBytes: 256 * 1024 ** 2 } });
    const hog = await run(sandbox, '( x=a; while :; do x=$x$x; done )');
    expect(hog).toMatchObject({ status: 'completed', exitCode: 137 });
    expect(hog.text).toContain('[The process was killed by the out-of-memory killer: the sandbox memory limit is 256 MiB.]');
    expect(await outputOf(sandbox, 'echo survived')).toBe('survived');
    // A later SIGKILL that is not an OOM kill is not blamed on memory.
    const killed = await run(sandbox, 'sleep 30 & kill -9 $!; wait $!');
    expect(killed.exitCode).toBe(137);
    expect(killed.text).not.toContain('out-of-memory');
  });

  test('runAsRoot adds back only the capabilities package installs need', async () => {
    const sandbox = await make({ runAsRoot: true });
    const mask = ROOT_CAPABILITIES.reduce((bits, cap) => bits | (1n << BigInt(CAPABILITY_BITS[cap] ?? 63)), 0n);
    expect(await outputOf(sandbox, 'id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status')).toBe(
      `0\nCapEff:\t${mask.toString(16).padStart(16, '0')}\nNoNewPrivs:\t1`,
    );
    expect(await outputOf(sandbox, 'touch /etc/metis-root && chown 1000:1000 /etc/metis-root && stat -c %u /etc/metis-root')).toBe('1000');
    // No raw sockets, device nodes or chroot.
    expect((await run(sandbox, 'mknod /tmp/dev c 1 3')).exitCode).not.toBe(0);
    await sandbox.files.writeFile('/workspace/root-owned.txt', 'x');
    expect(await outputOf(sandbox, 'stat -c %u /workspace/root-owned.txt')).toBe('0');
  });

  test.skipIf(!process.env.METISAI_SANDBOX_SLOW_TESTS)(
    'runAsRoot can apt-get install (slow, needs the Debian mirror)',
    async () => {
      const sandbox = await make({ runAsRoot: true });
      const install = await sandbox.shell.execute({
        command: 'apt-get update -qq && apt-get install -y -qq --no-install-recommends jq >/dev/null && jq --version',
        timeout: 300,
      });
      expect(install.exitCode).toBe(0);
      expect(install.output).toMatch(/jq-1\./);
    },
    320_000,
  );

  test('the network policy none leaves only loopback; an unknown policy is refused', async () => {
    const sandbox = await make({}, { network: 'none' });
    expect(sandbox.network).toBe('none');
    expect(await outputOf(sandbox, 'echo /sys/class/net/*')).toBe('/sys/class/net/lo');
    await expect(dockerDriver({ docker, image: STOCK_IMAGE }).create({ network: 'host' as 'none' })).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  test('what create is given as env reaches the shell, never the container config docker inspect shows', async () => {
    const sandbox = await make({}, { env: { API_TOKEN: 'tok-4f1c9e-secret' } });
    await sandbox.setEnv({ LATER_TOKEN: 'tok-77aa-later' });
    expect(await outputOf(sandbox, 'echo "$API_TOKEN $LATER_TOKEN"')).toBe('tok-4f1c9e-secret tok-77aa-later');
    const details = await docker.getContainer(sandbox.id).inspect();
    expect(JSON.stringify(details)).not.toContain('tok-4f1c9e-secret');
    expect(JSON.stringify(details)).not.toContain('tok-77aa-later');
    // The image's own variables (PATH, …) and the sandbox's id: nothing given to create or setEnv.
    const image = await docker.getImage(STOCK_IMAGE).inspect();
    expect((details.Config.Env ?? []).filter((entry) => !(image.Config.Env ?? []).includes(entry))).toEqual([`METISAI_SANDBOX_ID=${sandbox.id}`]);
  });

  test('an image allowlist refuses other images with a clear error', async () => {
    const policy = dockerDriver({ docker, image: STOCK_IMAGE, allowedImages: [STOCK_IMAGE, 'python:*'] });
    const refused = policy.create({ image: 'ubuntu:24.04' });
    await expect(refused).rejects.toBeInstanceOf(ImageNotAllowedError);
    await expect(refused).rejects.toMatchObject({
      code: 'image_not_allowed',
      name: 'ImageNotAllowedError',
      message: `Image "ubuntu:24.04" is not allowed for sandboxes. Allowed images: ${STOCK_IMAGE}, python:*`,
    });
    const allowed = await make({ allowedImages: ['debian:*'] });
    expect(await outputOf(allowed, 'echo ok')).toBe('ok');
    // The default image is checked too.
    await expect(dockerDriver({ docker, image: 'ubuntu:24.04', allowedImages: ['debian:*'] }).create()).rejects.toBeInstanceOf(ImageNotAllowedError);
  });

  test('an image whose /etc/passwd is oversized is refused before it is read into memory', async () => {
    const archive = pack();
    archive.entry({ name: 'etc/passwd' }, Buffer.alloc(2 * 1024 * 1024, 'x'));
    archive.finalize();
    const tag = 'metisai-test/huge-passwd:latest';
    const progress = await docker.importImage(Readable.from(archive as unknown as AsyncIterable<Buffer>), { repo: 'metisai-test/huge-passwd', tag: 'latest' });
    await new Promise((resolve, reject) => docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve(null))));
    try {
      const driver = dockerDriver({ docker, image: tag, owner: 'huge-passwd-test' });
      await expect(driver.create({ network: 'none' })).rejects.toThrow(
        "The image's /etc/passwd is 2097152 bytes, more than the 1048576 bytes read from an image at most",
      );
      expect(await driver.list({ owner: driver.owner })).toEqual([]);
    } finally {
      await docker.getImage(tag).remove({ force: true });
    }
  });

  test('an image without bash is refused with a clear error and leaves no container', async () => {
    const archive = pack();
    archive.entry({ name: 'hello.txt' }, 'no shell here\n');
    archive.finalize();
    const tag = 'metisai-test/no-bash:latest';
    const progress = await docker.importImage(Readable.from(archive as unknown as AsyncIterable<Buffer>), { repo: 'metisai-test/no-bash', tag: 'latest' });
    await new Promise((resolve, reject) => docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve(null))));
    try {
      const driver = dockerDriver({ docker, image: tag, owner: 'no-bash-test' });
      const before = (await driver.list({ owner: driver.owner })).length;
      await expect(driver.create()).rejects.toBeInstanceOf(ImageWithoutBashError);
      expect((await driver.list({ owner: driver.owner })).length).toBe(before);
    } finally {
      await docker.getImage(tag).remove({ force: true });
    }
  });
});

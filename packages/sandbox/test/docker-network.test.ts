import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bridgeNameFor, removeSandboxNetwork } from '../src/docker/sandbox-network.ts';
import { dockerDriver, type Sandbox, type SandboxDriver } from '../src/index.ts';
import { hasDocker } from './helpers/docker-availability.ts';
import { outputOf } from './helpers/run-command.ts';

const run = promisify(execFile);

/** The default sandbox image: it has curl and python3 (a stock Debian has neither) and nsenter for the host rules. */
const IMAGE = process.env.SANDBOX_IMAGE || 'metisai/sandbox:latest';

/** Network namespaces, veth pairs and iptables need root on the Docker host (this machine, CI). */
const isRoot = process.getuid?.() === 0;
if (hasDocker && !isRoot) {
  if (process.env.CI) throw new Error('CI is set but the network isolation tests need root to build their network namespaces');
  console.warn('[sandbox tests] Not root: skipping the network isolation tests (they build network namespaces).');
}

/**
 * A network namespace with an HTTP server on :8080 that answers `name`, reached from the host through a veth pair
 * with the /30 `prefix`.1 (host side) – `prefix`.2 (namespace side). Removing the namespace removes the pair.
 */
interface Island {
  name: string;
  address: string;
  close(): Promise<void>;
}

async function island(name: string, prefix: string): Promise<Island> {
  const tag = randomBytes(3).toString('hex');
  const ns = `metis-${name}-${tag}`;
  const host = `mth${tag}${name.slice(0, 3)}`;
  await run('ip', ['netns', 'add', ns]);
  let server: ChildProcess | undefined;
  const close = async () => {
    server?.kill('SIGKILL');
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await run('ip', ['link', 'del', host]).catch(() => undefined);
  };
  try {
    await run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await run('ip', ['addr', 'add', `${prefix}.1/30`, 'dev', host]);
    await run('ip', ['link', 'set', host, 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', `${prefix}.2/30`, 'dev', 'eth0']);
    await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const script = `require('node:http').createServer((q, s) => s.end(${JSON.stringify(name)})).listen(8080, '0.0.0.0', () => console.log('listening'))`;
    server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(server.stdout!, 'data');
    return { name, address: `${prefix}.2`, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** What `curl` in the sandbox got from `url`: the body, or `unreachable` (refused, rejected or timed out). */
const fetchFrom = (sandbox: Sandbox, url: string) => outputOf(sandbox, `curl -sS --max-time 4 ${url} 2>/dev/null || echo unreachable`);

describe.skipIf(!hasDocker || !isRoot)('sandbox networks (this engine, real host rules)', () => {
  const docker = new Docker();
  const network = `metisai-test-${randomBytes(4).toString('hex')}`;
  const sandboxes: Sandbox[] = [];
  const islands: Island[] = [];
  let driver: SandboxDriver;
  let hostServer: Server;
  let a: Sandbox;
  let b: Sandbox;
  let isolated: Sandbox;
  let publicIsland: Island;
  let privateIsland: Island;

  beforeAll(async () => {
    driver = dockerDriver({ docker, image: IMAGE, owner: 'metisai-network-tests', network: { name: network } });
    // The sandboxes first: the host rules are installed with the first one, and they also fence every subnet the
    // host is directly connected to at that moment, which the islands below would otherwise be.
    a = await driver.create();
    b = await driver.create();
    isolated = await driver.create({ network: 'none' });
    sandboxes.push(a, b, isolated);
    // 198.51.100.0/30 (TEST-NET-2) stands for the internet: not in the rules' internal ranges, routed only here.
    publicIsland = await island('public', '198.51.100');
    islands.push(publicIsland);
    privateIsland = await island('private', '10.123.45');
    islands.push(privateIsland);
    hostServer = createServer((_request, response) => response.end('host'));
    await new Promise<void>((resolve) => hostServer.listen(0, '0.0.0.0', resolve));
  }, 120_000);

  afterAll(async () => {
    hostServer?.close();
    await Promise.all(islands.map((each) => each.close()));
    await Promise.all(sandboxes.map((sandbox) => sandbox.remove().catch(() => undefined)));
    await removeSandboxNetwork(docker, network, IMAGE);
    // Nothing of ours is left: no chain, no jump, no network.
    const { stdout } = await run('iptables', ['-S']);
    expect(stdout).not.toContain(bridgeNameFor(network));
    await expect(docker.getNetwork(network).inspect()).rejects.toMatchObject({ statusCode: 404 });
  }, 60_000);

  test('the network is our own: labelled, inter-container traffic off', async () => {
    const details = (await docker.getNetwork(network).inspect()) as Docker.NetworkInspectInfo;
    expect(details.Labels).toMatchObject({ 'metisai.network': 'true' });
    expect(details.Options).toMatchObject({ 'com.docker.network.bridge.enable_icc': 'false' });
    expect(Object.keys((await docker.getContainer(a.id).inspect()).NetworkSettings.Networks)).toEqual([network]);
  });

  test('egress reaches a public-range address; a private address is refused', async () => {
    expect(await fetchFrom(b, `http://${publicIsland.address}:8080/`)).toBe('public');
    expect(await fetchFrom(b, `http://${privateIsland.address}:8080/`)).toBe('unreachable');
    // The host itself answers both islands (the rules are the sandboxes' alone).
    expect(await (await fetch(`http://${privateIsland.address}:8080/`)).text()).toBe('private');
  });

  test('a sandbox cannot reach another sandbox', async () => {
    await outputOf(a, 'nohup python3 -m http.server 8000 --bind 0.0.0.0 >/dev/null 2>&1 & sleep 0.1; echo started');
    const aAddress = Object.values((await docker.getContainer(a.id).inspect()).NetworkSettings.Networks)[0]!.IPAddress;
    await expect
      .poll(() => outputOf(a, 'curl -sS -o /dev/null -w "%{http_code}" --max-time 2 http://127.0.0.1:8000/ || true'), { timeout: 10_000 })
      .toBe('200');
    expect(await fetchFrom(b, `-o /dev/null -w "%{http_code}" http://${aAddress}:8000/`)).toMatch(/unreachable$/);
  });

  test('a sandbox cannot reach the host: neither its gateway nor any address of the host', async () => {
    const port = (hostServer.address() as AddressInfo).port;
    const details = (await docker.getNetwork(network).inspect()) as Docker.NetworkInspectInfo;
    const gateway = details.IPAM?.Config?.[0]?.Gateway;
    const hostAddresses = Object.values(networkInterfaces())
      .flat()
      .filter((entry) => entry && entry.family === 'IPv4' && !entry.internal)
      .map((entry) => entry!.address);
    expect(gateway).toBeTruthy();
    for (const address of new Set([gateway!, ...hostAddresses])) {
      expect(await (await fetch(`http://${address}:${port}/`)).text()).toBe('host');
      expect(await fetchFrom(b, `http://${address}:${port}/`)).toBe('unreachable');
    }
  });

  test('none reaches nothing; the policy changes while a sandbox runs, and on a stopped one', async () => {
    expect(await outputOf(isolated, 'echo /sys/class/net/*')).toBe('/sys/class/net/lo');
    expect(await fetchFrom(isolated, `http://${publicIsland.address}:8080/`)).toBe('unreachable');

    await b.setNetwork('none');
    expect(b.network).toBe('none');
    expect(await fetchFrom(b, `http://${publicIsland.address}:8080/`)).toBe('unreachable');
    await b.setNetwork('egress');
    expect(await fetchFrom(b, `http://${publicIsland.address}:8080/`)).toBe('public');

    await isolated.stop();
    const reconnected = await driver.connect(isolated.id, { network: 'egress' });
    sandboxes.push(reconnected);
    expect(reconnected.network).toBe('egress');
    expect(await fetchFrom(reconnected, `http://${publicIsland.address}:8080/`)).toBe('public');
    await reconnected.stop();
    const closedAgain = await driver.connect(isolated.id, { network: 'none' });
    sandboxes.push(closedAgain);
    expect(await outputOf(closedAgain, 'echo /sys/class/net/*')).toBe('/sys/class/net/lo');
  });
});

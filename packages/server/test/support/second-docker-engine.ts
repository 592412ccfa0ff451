import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { startSocketRelay } from './socket-relay.ts';

// Why the second dockerd runs in a network namespace of its own:
// dockerd started with `--bridge none` deletes the link named `docker0` of its network namespace while it starts
// (moby 20.10 daemon/daemon_unix.go, initNetworkController: `if !config.DisableBridge {…} else {
// removeDefaultBridgeInterface() }`, which is `netlink.LinkDel(docker0)`, logged only if the delete fails). Run in the
// host's namespace, as this helper did before, that was the host engine's own bridge: it vanished the moment the
// second engine started, and the first engine's builds and default-bridge containers failed ("could not find bridge
// docker0"). Seen again here in a private namespace with a planted docker0: `ip monitor` there shows `Deleted docker0`
// as the second dockerd starts, and the host's `ip monitor` shows nothing. (Without `--bridge none` it would instead
// take the host's docker0 over as its own default bridge.) In its own namespace nothing the daemon does to links,
// addresses, routes, iptables or sysctls reaches the host; its TLS listener is reached through two byte relays.

const run = promisify(execFile);

/** The port the second engine listens on, inside its own network namespace. */
const ENGINE_PORT = 2376;

/** A second Docker engine of this machine, reachable only over TCP with TLS (and a private unix socket). */
export interface SecondEngine {
  /** `tcp://127.0.0.1:<port>`: the server's `DOCKER_HOST` (port 2376 unless another process holds it). */
  host: string;
  /** Directory of the client's `ca.pem`, `cert.pem` and `key.pem`: the server's `DOCKER_CERT_PATH`. */
  certPath: string;
  /** Every private key made for this engine and its clients (PEM), to check that none leaks into logs. */
  privateKeys: string[];
  /** The engine's own certificate (PEM), to check who answers on `host`. */
  serverCertificate: string;
  /** The daemon's network namespace (`net:[inode]`, as `readlink /proc/<pid>/ns/net` shows it). */
  networkNamespace: string;
  /** A dockerode client of this engine (over its unix socket). */
  docker: Docker;
  /** Stops the relays and the engine and removes everything it held (its data root, certificates, sockets). */
  close(): Promise<void>;
}

const installed = (tool: string) =>
  run('sh', ['-c', `command -v ${tool}`]).then(
    () => true,
    () => false,
  );

/**
 * Why a second engine cannot be started here, or null when it can: root, `dockerd`, `docker`, `openssl`, `ip`,
 * `unshare` and `nsenter` on PATH, and network namespaces allowed.
 */
export async function canStartSecondEngine(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root (dockerd needs it)';
  for (const tool of ['dockerd', 'docker', 'openssl', 'ip', 'unshare', 'nsenter']) {
    if (!(await installed(tool))) return `${tool} is not installed`;
  }
  const namespace = await run('unshare', ['--net', 'ip', 'link', 'set', 'lo', 'up']).then(
    () => null,
    (error: Error) => `cannot create a network namespace (${error.message.trim()})`,
  );
  return namespace;
}

/**
 * A network link of this host as `ip -j addr show dev <name>` reports it: its index and addresses (`family
 * local/prefixlen`); null when there is no such link. Flags, state and MAC address are left out: a bridge's change as
 * containers' veths join and leave it.
 */
export async function hostLinkState(name: string): Promise<{ ifindex: number; kind: string; addresses: string[] } | null> {
  const shown = await run('ip', ['-d', '-j', 'addr', 'show', 'dev', name]).catch(() => null);
  if (!shown) return null;
  const [link] = JSON.parse(shown.stdout) as Array<{
    ifindex: number;
    linkinfo?: { info_kind?: string };
    addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
  }>;
  if (!link) return null;
  return {
    ifindex: link.ifindex,
    kind: link.linkinfo?.info_kind ?? '',
    addresses: (link.addr_info ?? []).map((address) => `${address.family} ${address.local}/${address.prefixlen}`).sort(),
  };
}

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd });
}

/**
 * Certificates as Docker's "Protect the Docker daemon socket" guide makes them, with openssl: a CA, the engine's
 * certificate for IP 127.0.0.1 (serverAuth), and a client certificate (clientAuth) in `client/` beside `ca.pem`.
 */
async function makeCertificates(dir: string): Promise<{ server: Record<'ca' | 'cert' | 'key', string>; client: string }> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    dir,
    'req',
    '-x509',
    ...ec,
    '-days',
    '2',
    '-subj',
    '/CN=metisai test engine CA',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const sign = async (name: string, cn: string, ext: string) => {
    await writeFile(path.join(dir, `${name}.ext`), ext);
    await openssl(dir, 'req', ...ec, '-subj', `/CN=${cn}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`);
    await openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}-cert.pem`,
      '-extfile',
      `${name}.ext`,
    );
  };
  await sign('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await sign('client', 'metisai-server', 'extendedKeyUsage=clientAuth\n');
  const client = path.join(dir, 'client');
  await mkdir(client);
  await writeFile(path.join(client, 'ca.pem'), await readFile(path.join(dir, 'ca.pem')));
  await writeFile(path.join(client, 'cert.pem'), await readFile(path.join(dir, 'client-cert.pem')));
  await writeFile(path.join(client, 'key.pem'), await readFile(path.join(dir, 'client-key.pem')));
  return { server: { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server-cert.pem'), key: path.join(dir, 'server-key.pem') }, client };
}

/** Waits for `child` to print `line`; rejects if it exits first. */
function waitForLine(child: ChildProcess, line: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.split('\n').includes(line)) {
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before it was ready: ${output}`));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', onExit);
  });
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once `child` has exited. */
async function stop(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a second `dockerd` (its own data root, exec root and containerd; no default bridge, no iptables rules, no IP
 * forwarding) in a network namespace of its own (`unshare --net`; see the comment at the top), listening there on
 * `tcp://127.0.0.1:2376` with `--tlsverify`; copies `images` from the first engine into it (`docker save | docker
 * load` over its unix socket). The host reaches its TLS listener on `tcp://127.0.0.1:<port>` through two byte relays:
 * this process listens there and connects to a unix socket on which a relay started with `nsenter --net` into the
 * engine's namespace listens and connects to the engine's 127.0.0.1:2376. TLS runs end to end, between the client
 * and dockerd. When `port` is taken (another run of this test), a free port is used instead, with a notice.
 * That engine is what a server reaches with `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`.
 */
export async function startSecondEngine(options: { port: number; images: string[] }): Promise<SecondEngine> {
  const dir = await mkdtemp(path.join(tmpdir(), 'metis-engine2-'));
  const socket = path.join(dir, 'docker.sock');
  const relaySocket = path.join(dir, `tcp-${ENGINE_PORT}.sock`);
  const certs = await makeCertificates(dir);
  const log = createWriteStream(path.join(dir, 'dockerd.log'));
  const dockerdArgs = [
    '--data-root',
    path.join(dir, 'data'),
    '--exec-root',
    path.join(dir, 'exec'),
    '--pidfile',
    path.join(dir, 'dockerd.pid'),
    '--host',
    `unix://${socket}`,
    '--host',
    `tcp://127.0.0.1:${ENGINE_PORT}`,
    '--tlsverify',
    '--tlscacert',
    certs.server.ca,
    '--tlscert',
    certs.server.cert,
    '--tlskey',
    certs.server.key,
    '--bridge',
    'none',
    '--iptables=false',
    '--ip-masq=false',
    '--ip-forward=false',
  ];
  // unshare and sh exec into dockerd: the child's pid is the daemon's, and its namespace holds only `lo`.
  const daemon: ChildProcess = spawn('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'second-dockerd', 'dockerd', ...dockerdArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemon.stdout?.pipe(log, { end: false });
  daemon.stderr?.pipe(log, { end: false });
  let relay: ChildProcess | undefined;
  let forwarder: net.Server | undefined;
  const close = async () => {
    await new Promise<void>((resolve) => (forwarder ? forwarder.close(() => resolve()) : resolve()));
    if (relay) await stop(relay, 5_000);
    await stop(daemon, 30_000);
    await rm(dir, { recursive: true, force: true });
  };
  const docker = new Docker({ socketPath: socket });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`the second dockerd exited (${daemon.exitCode}): ${await readFile(path.join(dir, 'dockerd.log'), 'utf8')}`);
      if (
        await docker.ping().then(
          () => true,
          () => false,
        )
      )
        break;
      if (Date.now() > deadline) throw new Error('the second dockerd did not answer within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const networkNamespace = await readlink(`/proc/${daemon.pid}/ns/net`);
    relay = spawn(
      'nsenter',
      [
        `--net=/proc/${daemon.pid}/ns/net`,
        '--',
        process.execPath,
        fileURLToPath(new URL('./socket-relay.ts', import.meta.url)),
        relaySocket,
        '127.0.0.1',
        `${ENGINE_PORT}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitForLine(relay, 'ready', "the relay in the engine's namespace");
    forwarder = await startSocketRelay({ host: '127.0.0.1', port: options.port }, { path: relaySocket }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') throw error;
      console.warn(`[second engine] 127.0.0.1:${options.port} is taken: the second engine is reached on a free port instead`);
      return startSocketRelay({ host: '127.0.0.1', port: 0 }, { path: relaySocket });
    });
    for (const image of options.images) {
      await run('bash', ['-o', 'pipefail', '-c', `docker save "$1" | docker -H "unix://$2" load -q`, 'copy-image', image, socket], { maxBuffer: 1 << 20 });
    }
    const port = (forwarder.address() as net.AddressInfo).port;
    const privateKeys = await Promise.all(['ca-key.pem', 'server-key.pem', 'client-key.pem'].map((name) => readFile(path.join(dir, name), 'utf8')));
    return {
      host: `tcp://127.0.0.1:${port}`,
      certPath: certs.client,
      privateKeys,
      serverCertificate: await readFile(certs.server.cert, 'utf8'),
      networkNamespace,
      docker,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

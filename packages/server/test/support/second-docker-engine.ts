import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const run = promisify(execFile);

/** A second Docker engine of this machine, reachable only over TCP with TLS (and a private unix socket). */
export interface SecondEngine {
  /** `tcp://127.0.0.1:<port>`: the server's `DOCKER_HOST`. */
  host: string;
  /** Directory of the client's `ca.pem`, `cert.pem` and `key.pem`: the server's `DOCKER_CERT_PATH`. */
  certPath: string;
  /** A dockerode client of this engine (over its unix socket). */
  docker: Docker;
  /** Stops the engine and removes everything it held (its data root, certificates, sockets). */
  close(): Promise<void>;
}

/** Whether a second engine can be started here: root, `dockerd` and `openssl` on PATH. */
export async function canStartSecondEngine(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root (dockerd needs it)';
  for (const tool of ['dockerd', 'openssl', 'docker']) {
    if (
      !(await run('sh', ['-c', `command -v ${tool}`]).then(
        () => true,
        () => false,
      ))
    )
      return `${tool} is not installed`;
  }
  return null;
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

/**
 * Starts a second `dockerd` (its own data root, exec root and containerd; no default bridge, no iptables rules) listening
 * on `tcp://127.0.0.1:<port>` with `--tlsverify`, then copies `images` from the first engine into it (`docker save |
 * docker load`): the engine a server reaches with `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`.
 */
export async function startSecondEngine(options: { port: number; images: string[] }): Promise<SecondEngine> {
  const dir = await mkdtemp(path.join(tmpdir(), 'metis-engine2-'));
  const socket = path.join(dir, 'docker.sock');
  const certs = await makeCertificates(dir);
  const log = createWriteStream(path.join(dir, 'dockerd.log'));
  const daemon: ChildProcess = spawn(
    'dockerd',
    [
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      path.join(dir, 'exec'),
      '--pidfile',
      path.join(dir, 'dockerd.pid'),
      '--host',
      `unix://${socket}`,
      '--host',
      `tcp://127.0.0.1:${options.port}`,
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
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  daemon.stdout?.pipe(log);
  daemon.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  const close = async () => {
    if (daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
      await exited;
    }
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
    for (const image of options.images) {
      await run('bash', ['-o', 'pipefail', '-c', `docker save "$1" | docker -H "unix://$2" load -q`, 'copy-image', image, socket], { maxBuffer: 1 << 20 });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { host: `tcp://127.0.0.1:${options.port}`, certPath: certs.client, docker, close };
}

import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
// The sandbox package's Docker policy: no engine → skip; CI set and no engine → failure.
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { createLogger } from '../../src/logger.ts';
import { runningAgent } from '../e2e/e2e-helpers.ts';
import { canStartSecondEngine, hostLinkState, startSecondEngine, type SecondEngine } from '../support/second-docker-engine.ts';
import { eventsOf, startRuntime, waitForState, type Runtime } from './runtime-harness.ts';

const run = promisify(execFile);
const IMAGE = 'debian:bookworm-slim';
// The second dockerd runs in a network namespace of its own (see support/second-docker-engine.ts for why: run in the
// host's namespace with `--bridge none` it deleted the host's docker0). This file checks that the host's docker0 and
// the first engine's default bridge are intact once it is over.
const reason = hasDocker ? await canStartSecondEngine() : 'no Docker engine answers';
if (reason && process.env.CI) throw new Error(`CI is set but the remote-engine test cannot run: ${reason}`);
if (reason) console.warn(`[remote engine] skipping sandboxes on a second Docker engine over TLS: ${reason}`);

const sandboxIdOf = async (databaseUrl: string, conversationId: string): Promise<string> => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<{ sandbox_id: string }>('select sandbox_id from conversations where id = $1', [conversationId])).rows[0]!.sandbox_id;
  } finally {
    await client.end();
  }
};

/**
 * `GET /_ping` over TLS to `host` (`tcp://127.0.0.1:port`), trusting only `ca`: the fingerprint of the certificate
 * that answered, and the HTTP status line (or the error that ended the exchange).
 */
async function pingOverTls(host: string, options: tls.ConnectionOptions): Promise<{ peer: string; answer: string }> {
  const url = new URL(host.replace(/^tcp:/, 'https:'));
  return new Promise((resolve) => {
    let peer = '';
    let received = '';
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ...options }, () => {
      peer = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.write(`GET /_ping HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    socket.on('error', (error) => resolve({ peer, answer: `error: ${error.message}` }));
    socket.on('close', () => resolve({ peer, answer: received.split('\r\n')[0] ?? '' }));
  });
}

describe.skipIf(reason !== null)('sandboxes on a separate Docker engine (DOCKER_HOST=tcp://…, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)', () => {
  let engine: SecondEngine | undefined;
  let rt: Runtime | undefined;
  let bridgeBefore: Awaited<ReturnType<typeof hostLinkState>>;
  /** Every line the server logged, at debug level. */
  const logLines: string[] = [];
  const capture = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const stopAll = async () => {
    await rt?.close();
    rt = undefined;
    await engine?.close();
    engine = undefined;
  };

  beforeAll(async () => {
    bridgeBefore = await hostLinkState('docker0');
    // A second dockerd on tcp://127.0.0.1:2376 with certificates made by openssl; the image moved to it with save/load.
    engine = await startSecondEngine({ port: 2376, images: [IMAGE] });
    rt = await startRuntime({
      driver: 'docker',
      env: { DOCKER_HOST: engine.host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: engine.certPath, SANDBOX_IMAGE: IMAGE, SANDBOX_IMAGE_BUILD: 'off' },
      logger: createLogger('debug', capture),
    });
  }, 240_000);
  afterAll(stopAll, 120_000);

  test('the engine runs in a network namespace of its own, and TLS on DOCKER_HOST ends in it and wants a client certificate', async () => {
    const { host, certPath, serverCertificate, networkNamespace } = engine!;
    expect(networkNamespace).not.toBe(await readlink('/proc/self/ns/net'));
    const ca = await readFile(path.join(certPath, 'ca.pem'));
    const cert = await readFile(path.join(certPath, 'cert.pem'));
    const key = await readFile(path.join(certPath, 'key.pem'));
    const engineCertificate = new X509Certificate(serverCertificate).fingerprint256;
    // The certificate that answers through the relays is the engine's own: nothing between re-encrypts.
    expect(await pingOverTls(host, { ca, cert, key })).toEqual({ peer: engineCertificate, answer: 'HTTP/1.1 200 OK' });
    // Without the client certificate dockerd (--tlsverify) ends the session before answering.
    const anonymous = await pingOverTls(host, { ca });
    expect(anonymous.answer).not.toContain('200');
  });

  test('a conversation runs its command in a container of the second engine, and none appears on the first', async () => {
    const { docker, privateKeys } = engine!;
    // No network: the second engine runs without bridge or iptables rules of its own.
    const agent = await runningAgent(rt!, 'remote', { network: 'none' });
    rt!.llm.setScript([
      turns.toolCall('execute_bash', { command: 'echo on-the-second-engine > where.txt && cat where.txt && hostname' }),
      turns.toolCall('finish', { message: 'done' }),
    ]);
    const created = await rt!.http.post('/api/v1/conversations', { agent_id: agent });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await rt!.http.post(`/api/v1/conversations/${id}/messages`, { content: 'where are you?' })).status).toBe(202);
    expect((await waitForState(rt!.http, id, ['finished', 'error'], 60_000)).state).toBe('finished');
    const output = JSON.stringify((await eventsOf(rt!.http, id)).filter((event) => event.type === 'observation'));
    expect(output).toContain('on-the-second-engine');

    const sandboxId = await sandboxIdOf(rt!.server.databaseUrl, id);
    const onSecond = await docker.getContainer(sandboxId).inspect();
    expect(onSecond.Config.Labels['metisai.managed']).toBe('true');
    expect(onSecond.Config.Image).toBe(IMAGE);
    // The command ran in that container: its hostname is the container id's first 12 characters.
    expect(output).toContain(`on-the-second-engine\\n${onSecond.Id.slice(0, 12)}`);
    const first = new Docker();
    await expect(first.getContainer(sandboxId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(first.getContainer(onSecond.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const onFirst = await first.listContainers({ all: true, filters: { label: [`metisai.conversation=${id}`] } });
    expect(onFirst).toEqual([]);

    // The server read the client key (DOCKER_CERT_PATH) and logged at debug level; no line carries key material.
    expect(logLines.length).toBeGreaterThan(0);
    const logs = logLines.join('');
    expect(logs).not.toContain('PRIVATE KEY');
    for (const pem of privateKeys) {
      for (const line of pem.split('\n').filter((text) => text.length > 0 && !text.startsWith('-----'))) expect(logs).not.toContain(line);
    }
  }, 120_000);

  test("once the second engine has stopped, the host's docker0 is as it was and the first engine starts a default-bridge container", async () => {
    await stopAll();
    expect(await hostLinkState('docker0')).toEqual(bridgeBefore);
    if (bridgeBefore === null) {
      console.warn('[remote engine] this host has no docker0: the default-bridge container check is left out');
      return;
    }
    const name = `metis-remote-engine-bridge-check-${randomBytes(4).toString('hex')}`;
    const started = await run('docker', ['run', '--rm', '--name', name, '--label', 'metisai.test=remote-engine', '--network', 'bridge', IMAGE, 'true']).then(
      () => 'ok',
      (error: Error & { stderr?: string }) => error.stderr ?? error.message,
    );
    expect(started).toBe('ok');
  }, 120_000);
});

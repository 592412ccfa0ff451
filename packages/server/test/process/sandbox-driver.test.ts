import { mkdtemp, chmod, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { Http, registerUser } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';

/**
 * The sandbox driver fails closed: with no Docker engine answering, only laptop mode falls back to running agents'
 * commands on the host. No engine answers at a socket that does not exist (`DOCKER_HOST`, read by dockerode).
 */
const lines: Array<{ level: number; msg: string }> = [];
const capture = new Writable({
  write(chunk, _encoding, callback) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    callback();
  },
});

let dataDir: string;
const savedDockerHost = process.env.DOCKER_HOST;
beforeAll(async () => {
  process.env.DOCKER_HOST = 'unix:///nonexistent/metisai-no-docker.sock';
  dataDir = await mkdtemp(path.join(tmpdir(), 'metis-driver-'));
  await chmod(dataDir, 0o755);
});
afterAll(async () => {
  if (savedDockerHost === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = savedDockerHost;
  await rm(dataDir, { recursive: true, force: true });
});

const start = (env: Record<string, string>) =>
  startTestServer({ env: { METIS_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env }, logger: createLogger('info', capture) });

const startAgent = async (server: { url: string }) => {
  const user = (await registerUser(new Http(server.url.replace('0.0.0.0', '127.0.0.1')), 'driver')).http;
  const agent = (await user.post('/api/v1/agents', { name: 'Needs a sandbox', config: { warm_pool_size: 0 } })).body;
  expect((await user.post(`/api/v1/agents/${agent.id}/start`)).status).toBe(202);
  let current: { status: string; status_message: string | null } = agent;
  await expect
    .poll(async () => {
      current = (await user.get(`/api/v1/agents/${agent.id}`)).body;
      return current.status;
    })
    .toMatch(/^(running|error)$/);
  return current;
};

describe('no Docker engine answers', () => {
  test('a shared server does not fall back to the host: it says so at start, and agents end in error saying why', async () => {
    lines.length = 0;
    const server = await start({ HOST: '0.0.0.0' });
    try {
      const said = lines.find((line) => line.msg.startsWith('No Docker engine answers'));
      expect(said).toMatchObject({ level: 50 });
      expect(said!.msg).toContain('agents cannot start');
      const agent = await startAgent(server);
      expect(agent.status).toBe('error');
      expect(agent.status_message).toContain('No Docker engine answers at unix:///nonexistent/metisai-no-docker.sock');
    } finally {
      await server.close();
    }
  });

  test('SANDBOX_DRIVER=docker without an engine says so at start too', async () => {
    lines.length = 0;
    const server = await start({ SANDBOX_DRIVER: 'docker' });
    try {
      expect(lines.find((line) => line.msg.startsWith('No Docker engine answers'))).toMatchObject({ level: 50 });
      expect((await startAgent(server)).status).toBe('error');
    } finally {
      await server.close();
    }
  });

  test('laptop mode falls back to the local driver, loudly; agents run', async () => {
    lines.length = 0;
    const server = await start({});
    try {
      const said = lines.find((line) => line.msg.startsWith('No Docker engine answers'));
      expect(said).toMatchObject({ level: 40 });
      expect(said!.msg).toContain('LOCAL driver');
      expect((await startAgent(server)).status).toBe('running');
    } finally {
      await server.close();
    }
  });

  test('a shared server runs the local driver only when both SANDBOX_DRIVER=local and ALLOW_UNSAFE_LOCAL_SANDBOX=true say so', async () => {
    await expect(start({ HOST: '0.0.0.0', SANDBOX_DRIVER: 'local' })).rejects.toThrow(/^SANDBOX_DRIVER: .*ALLOW_UNSAFE_LOCAL_SANDBOX=true/);
    const server = await start({ HOST: '0.0.0.0', SANDBOX_DRIVER: 'local', ALLOW_UNSAFE_LOCAL_SANDBOX: 'true' });
    try {
      expect((await startAgent(server)).status).toBe('running');
    } finally {
      await server.close();
    }
  });
});

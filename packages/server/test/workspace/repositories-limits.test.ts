import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ApiServer, startApiServer } from '../http/api-server.ts';
import { eventsOf, waitForState } from '../runtime/runtime-harness.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { eventually, Http, registerUser } from '../support/http.ts';

/**
 * Clones on a shared server (HOST 0.0.0.0, not laptop mode): the egress guard decides which repository URLs are
 * taken and which addresses a clone connects to; the size cap and the clone timeout end a clone as the issue says.
 * The git servers listen on 127.0.0.1 and are reached by a name that resolves to loopback (`localhost`).
 */
let server: ApiServer;
let user: Http;
let allowed: GitServer;
let internal: GitServer;
let dataDir: string;
const portOf = (git: GitServer) => new URL(git.url).port;

beforeAll(async () => {
  allowed = await startGitServer();
  internal = await startGitServer();
  dataDir = await mkdtemp(path.join(tmpdir(), 'metis-clone-limits-'));
  server = await startApiServer({
    withRunner: true,
    env: {
      HOST: '0.0.0.0',
      ALLOW_UNSAFE_LOCAL_SANDBOX: 'true',
      METIS_DATA_DIR: dataDir,
      EGRESS_ALLOWED_HOSTS: `localhost:${portOf(allowed)}`,
      CLONE_LIMIT_BYTES: String(64 * 1024),
      CLONE_TIMEOUT_SECONDS: '2',
    },
  });
  user = (await registerUser(new Http(server.url.replace('0.0.0.0', '127.0.0.1')), 'clones')).http;
  await allowed.createRepository('small', { files: { 'README.md': 'small\n' } });
  // Random hex: about 300 KB that compress to no less than half.
  await allowed.createRepository('large', { files: { 'blob.txt': randomBytes(150 * 1024).toString('hex') } });
  await internal.createRepository('internal', { files: { 'README.md': 'internal\n' } });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await allowed?.close();
  await internal?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const create = (repository: Record<string, unknown>) => user.post('/api/v1/conversations', { repository });
const failure = async (id: string) => {
  expect(await waitForState(user, id, ['idle', 'error', 'stopped'], 30_000)).toMatchObject({ state: 'error', repository: { status: 'failed' } });
  return (await eventsOf(user, id)).slice(-2);
};

describe('the egress guard', () => {
  test('plain http to a host the guard does not allow is refused (400 naming repository.url); so is a refused IP', async () => {
    const plain = await create({ url: internal.urlOf('internal') });
    expect(plain.status).toBe(400);
    expect(plain.body.error).toMatchObject({ code: 'validation_error', details: [{ path: 'repository.url', message: expect.stringContaining('https://') }] });

    const literal = await create({ url: `https://127.0.0.1:${portOf(internal)}/internal.git` });
    expect(literal.status).toBe(400);
    expect(literal.body.error).toMatchObject({ code: 'egress_refused', details: [{ path: 'repository.url' }] });
    expect(internal.requests).toHaveLength(0);
  });

  test('a name that resolves to loopback is refused when the clone connects: clone_failed / egress_refused, nothing reaches it', async () => {
    const reply = await create({ url: `https://localhost:${portOf(internal)}/internal.git` });
    expect(reply.status).toBe(201);
    expect(await failure(reply.body.id)).toMatchObject([
      { type: 'error', code: 'egress_refused', message: expect.stringContaining('localhost resolves to 127.0.0.1, which is in the loopback range') },
      { type: 'state', state: 'error', reason: 'clone_failed' },
    ]);
    expect(internal.requests).toHaveLength(0);
  });
});

describe('limits', () => {
  test('a repository larger than CLONE_LIMIT_BYTES ends repository_too_large (http to an EGRESS_ALLOWED_HOSTS entry is taken)', async () => {
    const reply = await create({ url: allowed.urlOf('large') });
    expect(reply.status).toBe(201);
    expect(await failure(reply.body.id)).toMatchObject([
      { type: 'error', code: 'repository_too_large', message: expect.stringContaining('65536 bytes (CLONE_LIMIT_BYTES)') },
      { type: 'state', state: 'error', reason: 'clone_failed' },
    ]);
    expect(allowed.requests.length).toBeGreaterThan(0);
  });

  test('a clone that takes longer than CLONE_TIMEOUT_SECONDS ends repository_unreachable', async () => {
    const release = allowed.hold();
    try {
      const before = allowed.requests.length;
      const reply = await create({ url: allowed.urlOf('small') });
      expect(reply.status).toBe(201);
      await eventually(async () => allowed.requests.length > before, 10_000);
      expect(await failure(reply.body.id)).toMatchObject([
        { type: 'error', code: 'repository_unreachable', message: expect.stringContaining('CLONE_TIMEOUT_SECONDS') },
        { type: 'state', state: 'error', reason: 'clone_failed' },
      ]);
    } finally {
      release();
    }
  });
});

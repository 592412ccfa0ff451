import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Http, registerUser } from '../support/http.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';

// `npm start` with no DATABASE_URL: an embedded PostgreSQL in METIS_DATA_DIR, kept across restarts.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'metis-lifecycle-'));
  await import('node:fs/promises').then((fs) => fs.chmod(root, 0o755));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const postgresRunningIn = (dir: string) => {
  try {
    return (
      execFileSync('pgrep', ['-f', `postgres.*-D ${dir}`])
        .toString()
        .trim().length > 0
    );
  } catch {
    return false;
  }
};

test('data, tokens and the generated key survive a restart; SIGTERM stops the embedded postgres', { timeout: 90_000 }, async () => {
  const dataDir = path.join(root, 'one');
  let server: ServerProcess = await startServerProcess({ METIS_DATA_DIR: dataDir });
  const alice = await registerUser(new Http(server.url), 'alice');
  const agent = await alice.http.post('/api/v1/agents', { name: 'keeper', config: { system_prompt: 'stay' } });
  expect(agent.status).toBe(201);
  const secret = await alice.http.post('/api/v1/secrets', { name: 'TOKEN', value: 's3cr3t-value' });
  expect(secret.status).toBe(201);

  const key = (await readFile(path.join(dataDir, 'secret-key'), 'utf8')).trim();
  expect(key).toMatch(/^[0-9a-f]{64}$/);
  expect((await stat(path.join(dataDir, 'secret-key'))).mode & 0o777).toBe(0o600);
  expect(postgresRunningIn(path.join(dataDir, 'postgres'))).toBe(true);

  expect(await server.stop('SIGTERM')).toBe(0);
  expect(server.output()).toContain('MetisAI server stopped');
  expect(postgresRunningIn(path.join(dataDir, 'postgres'))).toBe(false);

  server = await startServerProcess({ METIS_DATA_DIR: dataDir });
  try {
    // The old token still verifies (same generated key) and the data is there.
    const again = new Http(server.url, alice.token);
    const fetched = await again.get(`/api/v1/agents/${agent.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.config.system_prompt).toBe('stay');
    const secrets = await again.get('/api/v1/secrets');
    expect(secrets.body.data.map((s: { name: string }) => s.name)).toEqual(['TOKEN']);
    const login = await new Http(server.url).post('/api/v1/auth/login', { email: alice.email, password: alice.password });
    expect(login.status).toBe(200);
    expect(server.output()).not.toContain('database migrated');
  } finally {
    expect(await server.stop()).toBe(0);
  }
});

test('two servers with different data dirs run side by side', { timeout: 90_000 }, async () => {
  const [a, b] = await Promise.all([
    startServerProcess({ METIS_DATA_DIR: path.join(root, 'a') }),
    startServerProcess({ METIS_DATA_DIR: path.join(root, 'b') }),
  ]);
  try {
    expect(a.url).not.toBe(b.url);
    const onA = await registerUser(new Http(a.url), 'same');
    // Same email on the other server: separate databases, so it registers too.
    const onB = await new Http(b.url).post('/api/v1/auth/register', { email: onA.email, password: onA.password });
    expect(onB.status).toBe(201);
    expect((await new Http(a.url).get('/readyz')).body.checks.database).toBe('ok');
    expect((await new Http(b.url).get('/readyz')).body.checks.database).toBe('ok');
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import pino from 'pino';
import { migrations } from '../../src/db/migrations/index.ts';
import { createOrm } from '../../src/db/orm.ts';
import { Http, registerUser } from '../support/http.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { TEST_SECRET_KEY } from '../support/test-server.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** An empty database (not cloned from the migrated template): nothing migrated yet. */
async function emptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const name = `metis_empty_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Runs `main.ts <args>` with `stdin` written to it; resolves with its exit code and output. */
function runCommand(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=@metisai/source', MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BCRYPT_COST: '4', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('commands of the entry point', () => {
  let database: { url: string; drop: () => Promise<void> };
  const servers: ServerProcess[] = [];
  const env = () => ({ DATABASE_URL: database.url, SECRET_KEY: TEST_SECRET_KEY, SANDBOX_DRIVER: 'local', ALLOW_REGISTRATION: 'false', LOG_LEVEL: 'info' });

  beforeAll(async () => {
    database = await emptyDatabase();
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database.drop();
  });

  test('two servers starting together on an empty database migrate it once, under the migration lock', { timeout: 90_000 }, async () => {
    const started = await Promise.all([startServerProcess(env(), { timeoutMs: 60_000 }), startServerProcess(env(), { timeoutMs: 60_000 })]);
    servers.push(...started);
    const rows = await query<{ name: string }>(database.url, 'select name from schema_migrations order by id');
    expect(rows.map((row) => row.name)).toEqual(migrations.map((migration) => migration.name));
    // One of them applied every migration; the other waited for the lock and found nothing to do.
    const migrated = started.filter((server) => server.output().includes('"msg":"database migrated"'));
    expect(migrated).toHaveLength(1);
    for (const server of started) expect(server.output()).not.toMatch(/"level":(50|60)/);
    for (const server of started) expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  test('create-user makes the first account of a closed server; its password comes from stdin and follows the rules', { timeout: 60_000 }, async () => {
    const email = 'first-admin@example.com';
    const created = await runCommand(['create-user', '--email', email, '--password-stdin'], env(), 'a long first password\n');
    expect(created, created.stderr).toMatchObject({ code: 0 });
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await query(database.url, `select id, email from users`)).toEqual([{ id, email }]);

    // Registration stays closed, yet the account logs in (the trailing newline of stdin was not part of the password).
    const http = new Http(servers[0]!.url);
    expect((await http.post('/api/v1/auth/register', { email: 'other@example.com', password: 'another long password' })).status).toBe(403);
    const login = await http.post('/api/v1/auth/login', { email, password: 'a long first password' });
    expect(login.status).toBe(200);
    expect((login.body as { user: { id: string } }).user.id).toBe(id);

    const again = await runCommand(['create-user', '--email', 'FIRST-admin@example.com', '--password-stdin'], env(), 'another long password');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    const common = await runCommand(['create-user', '--email', 'b@example.com', '--password-stdin'], env(), 'password123');
    expect(common.code).toBe(2);
    expect(common.stderr).toContain('most common passwords');
    const short = await runCommand(['create-user', '--email', 'c@example.com', '--password-stdin'], env(), 'short');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/password: must be at least 10 characters/);
    const noStdin = await runCommand(['create-user', '--email', 'd@example.com', '--password', 'on the command line'], env());
    expect(noStdin.code).toBe(2);
    expect(noStdin.stderr).toContain('usage: create-user');
    expect(await query(database.url, 'select count(*)::int as n from users')).toEqual([{ n: 1 }]);
  });

  test('migrate applies nothing on a migrated database; an unknown command prints the usage', { timeout: 30_000 }, async () => {
    const migrate = await runCommand(['migrate'], env());
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain('database already up to date');
    const unknown = await runCommand(['frobnicate'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('usage: metisai');
  });
});

describe('an upgrade with a migration', () => {
  let database: { url: string; drop: () => Promise<void> };
  const servers: ServerProcess[] = [];
  const env = () => ({ DATABASE_URL: database.url, SECRET_KEY: TEST_SECRET_KEY, SANDBOX_DRIVER: 'local', ALLOW_REGISTRATION: 'true', LOG_LEVEL: 'info' });

  beforeAll(async () => {
    database = await emptyDatabase();
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database.drop();
  });

  test('a database one migration behind, with users and agents, is migrated by the new server at start and served', { timeout: 120_000 }, async () => {
    // The data, made through the API.
    const first = await startServerProcess(env(), { timeoutMs: 60_000 });
    servers.push(first);
    const { http, email, password } = await registerUser(new Http(first.url), 'upgrade');
    const agent = await http.post('/api/v1/agents', { name: 'kept across the upgrade', config: {} });
    expect(agent.status).toBe(201);
    expect(await first.stop()).toBe(0);

    // The previous release's schema: the newest migration reverted (its `down`), as a database the previous image left.
    const last = migrations.at(-1)!.name;
    const orm = await createOrm({ databaseUrl: database.url, logger: pino({ level: 'silent' }) });
    try {
      expect((await orm.migrator.down()).map((migration) => migration.name)).toEqual([last]);
    } finally {
      await orm.close();
    }
    const behind = await query<{ name: string }>(database.url, 'select name from schema_migrations order by id');
    expect(behind.map((row) => row.name)).toEqual(migrations.slice(0, -1).map((migration) => migration.name));

    // The new server applies that one migration when it starts, and serves the data made before.
    const upgraded = await startServerProcess(env(), { timeoutMs: 60_000 });
    servers.push(upgraded);
    expect(upgraded.output()).toContain(`"migrations":["${last}"]`);
    const after = await query<{ name: string }>(database.url, 'select name from schema_migrations order by id');
    expect(after.map((row) => row.name)).toEqual(migrations.map((migration) => migration.name));
    const login = await new Http(upgraded.url).post('/api/v1/auth/login', { email, password });
    expect(login.status).toBe(200);
    const agents = await new Http(upgraded.url, login.body.access_token).get('/api/v1/agents');
    expect(agents.status).toBe(200);
    expect(agents.body.data.map((item: { id: string; name: string }) => [item.id, item.name])).toEqual([[agent.body.id, 'kept across the upgrade']]);
    expect(upgraded.output()).not.toMatch(/"level":(50|60)/);
  });
});

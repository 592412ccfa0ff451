import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { type StartStep, startServer } from '../../src/server.ts';
import { createTestDatabase, testEnv } from '../support/test-server.ts';

/**
 * A start that fails at any step closes what it opened: no connection of ours stays in `pg_stat_activity`, no embedded
 * PostgreSQL keeps running, no sandbox is left. Every connection of the server carries an `application_name`.
 */
const STEPS: StartStep[] = ['database', 'orm', 'events', 'services', 'sandboxes', 'runner', 'app', 'recovery', 'listen'];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'metis-start-failure-'));
  await chmod(root, 0o755);
});
afterAll(() => rm(root, { recursive: true, force: true }));

const failAt = (failing: StartStep) => async (step: StartStep) => {
  if (step === failing) throw new Error(`injected failure after ${step}`);
};

/** Connections to `databaseUrl`'s database, by application name, other than the one asking. */
async function connections(databaseUrl: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'start-failure-probe' });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; count: string }>(
      `select application_name as name, count(*) from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid() group by 1`,
    );
    return Object.fromEntries(rows.map((row) => [row.name, Number(row.count)]));
  } finally {
    await client.end();
  }
}

/**
 * No connection of ours is left. A closed connection's backend leaves `pg_stat_activity` a moment after the client
 * hung up (longer on a loaded machine): one that is still there after 5 s was leaked.
 */
const expectNoConnections = (databaseUrl: string) =>
  vi.waitFor(async () => expect(await connections(databaseUrl)).toEqual({}), { timeout: 5_000, interval: 50 });

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

describe('with DATABASE_URL', () => {
  let databaseUrl: string;
  let dataDir: string;
  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    dataDir = path.join(root, 'url');
  });

  test('a running server names each of its connections', async () => {
    const server = await startServer({
      config: loadConfig(testEnv(databaseUrl, { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: dataDir })),
      logger: createLogger('silent'),
    });
    try {
      expect(Object.keys(await connections(databaseUrl)).sort()).toEqual(['metisai', 'metisai-listen', 'metisai-locks']);
    } finally {
      await server.close();
    }
    await expectNoConnections(databaseUrl);
  });

  test.each(STEPS)('a failure after %s leaves no connection and no sandbox', async (step) => {
    const start = startServer({
      config: loadConfig(testEnv(databaseUrl, { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: dataDir })),
      logger: createLogger('silent'),
      afterStep: failAt(step),
    });
    await expect(start).rejects.toThrow(`injected failure after ${step}`);
    await expectNoConnections(databaseUrl);
    const sandboxes = await readdir(path.join(dataDir, 'sandboxes')).catch(() => []);
    expect(sandboxes).toEqual([]);
  });
});

test('with an embedded PostgreSQL, a failed start stops it; the next start works', { timeout: 60_000 }, async () => {
  const dataDir = path.join(root, 'embedded');
  const env = { NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', BCRYPT_COST: '4', SANDBOX_DRIVER: 'local', METIS_DATA_DIR: dataDir };
  for (const step of ['orm', 'events', 'recovery'] as const) {
    await expect(startServer({ config: loadConfig(env), logger: createLogger('silent'), afterStep: failAt(step) })).rejects.toThrow(step);
    expect(postgresRunningIn(path.join(dataDir, 'postgres'))).toBe(false);
  }
  const server = await startServer({ config: loadConfig(env), logger: createLogger('silent') });
  try {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  } finally {
    await server.close();
  }
  expect(postgresRunningIn(path.join(dataDir, 'postgres'))).toBe(false);
});

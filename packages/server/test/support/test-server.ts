import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import type { Logger } from 'pino';
import { startServer, type RunningServer } from '../../src/server.ts';
import type { AgentLifecycle } from '../../src/services/agent-lifecycle.ts';

/** A fresh database cloned from the migrated template. */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = inject('pgAdminUrl');
  const name = `metis_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${inject('pgTemplate')}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // A clone of the template is a separate installation: it gets its own id (sandboxes are labelled with it).
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  try {
    await db.query('update installation set id = gen_random_uuid()');
  } finally {
    await db.end();
  }
  return url.toString();
}

export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdef0123456789';

/** Environment a test server starts with; override per test. */
export const testEnv = (databaseUrl: string, overrides: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  NODE_ENV: 'test',
  DATABASE_URL: databaseUrl,
  SECRET_KEY: TEST_SECRET_KEY,
  PORT: '0',
  HOST: '127.0.0.1',
  BCRYPT_COST: '4',
  LOG_LEVEL: 'silent',
  // Tests use the images that exist (scripts/ensure-docker.sh builds them); image-build.test.ts turns it on.
  SANDBOX_IMAGE_BUILD: 'off',
  ...overrides,
});

/** A real server on a free port over its own fresh database. */
export async function startTestServer(
  options: { env?: Record<string, string>; databaseUrl?: string; agentLifecycle?: AgentLifecycle; logger?: Logger } = {},
): Promise<RunningServer & { databaseUrl: string }> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const config = loadConfig(testEnv(databaseUrl, options.env));
  const server = await startServer({ config, logger: options.logger ?? createLogger('silent'), agentLifecycle: options.agentLifecycle });
  return { ...server, databaseUrl };
}

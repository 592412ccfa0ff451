import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../../src/logger.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { createOrm, migrate } from '../../src/db/orm.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A Postgres URL whose user may create databases; `metis_template` on it is migrated. */
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

const TEMPLATE = 'metis_template';

/**
 * One real PostgreSQL per test run: DATABASE_URL when set, else an embedded one in a temp dir.
 * A migrated template database lets every test file get a fresh database in milliseconds.
 */
export default async function setup(project: TestProject) {
  const logger = createLogger('warn');
  let adminUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-test-pg-'));
    const embedded = await startEmbeddedPostgres(dataDir, logger);
    adminUrl = embedded.url;
    stop = async () => {
      await embedded.stop();
      // As root with a private temp dir, the cluster lives outside the data dir (see postgres-user-paths.ts).
      await rm(embedded.databaseDir, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE} with (force)`);
  await admin.query(`create database ${TEMPLATE}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  const orm = await createOrm({ databaseUrl: templateUrl.toString(), logger });
  await migrate(orm, templateUrl.toString());
  await orm.close();
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', TEMPLATE);
  return stop;
}

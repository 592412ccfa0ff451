#!/usr/bin/env node
import { loadConfig } from '../config.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { createOrm, migrate } from '../db/orm.ts';
import { createLogger } from '../logger.ts';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
const config = loadConfig();
const logger = createLogger(config.logLevel);
const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir, logger);
const orm = await createOrm({ databaseUrl: config.databaseUrl ?? embedded!.url, logger });
try {
  const applied = await migrate(orm);
  logger.info({ migrations: applied }, applied.length ? 'migrations applied' : 'database already up to date');
} finally {
  await orm.close();
  await embedded?.stop();
}

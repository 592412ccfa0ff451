import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openCommandDatabase } from './database.ts';

/**
 * `metisai migrate` (`npm run migrate`): applies pending migrations to `DATABASE_URL` (or the embedded database) under
 * the migration lock, logs what it applied and resolves with exit code 0.
 */
export async function runMigrate(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openCommandDatabase(config, logger);
  try {
    logger.info({ migrations: database.applied }, database.applied.length ? 'migrations applied' : 'database already up to date');
  } finally {
    await database.close();
  }
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  return 0;
}

import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { createOrm, migrate, type Orm } from '../db/orm.ts';

/** The database a command works on, migrated. `close()` closes the pool (and stops the embedded PostgreSQL). */
export interface CommandDatabase {
  orm: Orm;
  /** Names of the migrations this open applied. */
  applied: string[];
  close(): Promise<void>;
}

/**
 * Opens `DATABASE_URL` (or the embedded PostgreSQL of the data dir, as `npm start` does) and applies pending
 * migrations under the migration lock, so a command run beside starting servers migrates once with them.
 */
export async function openCommandDatabase(config: Config, logger: Logger): Promise<CommandDatabase> {
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir, logger);
  const url = config.databaseUrl ?? embedded!.url;
  try {
    const orm = await createOrm({ databaseUrl: url, logger, poolSize: 2 });
    try {
      const applied = await migrate(orm, url);
      return {
        orm,
        applied,
        close: async () => {
          await orm.close();
          await embedded?.stop();
        },
      };
    } catch (error) {
      await orm.close();
      throw error;
    }
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import type { Logger } from 'pino';
import { entities } from '../entities/index.ts';
import { migrations } from './migrations/index.ts';

export type Orm = MikroORM;

export interface OrmOptions {
  databaseUrl: string;
  logger: Logger;
  poolSize?: number;
}

/** The ORM and its connection pool (`application_name` `metisai`). Entities map the schema the migrations create. */
export async function createOrm({ databaseUrl, logger, poolSize = 10 }: OrmOptions): Promise<Orm> {
  return MikroORM.init({
    clientUrl: databaseUrl,
    // Passed to pg's Pool: `pg_stat_activity` tells this server's connections apart (see also metisai-listen, -locks).
    driverOptions: { application_name: 'metisai' },
    entities,
    extensions: [Migrator],
    migrations: { migrationsList: migrations, tableName: 'schema_migrations', snapshot: false, silent: true },
    pool: { min: 0, max: poolSize },
    discovery: { checkDuplicateTableNames: true },
    debug: false,
    logger: (message) => logger.debug({ orm: message }, 'mikro-orm'),
    // Entities map the schema the migrations create; never sync the schema from them.
    ensureDatabase: false,
  });
}

/** The session advisory lock every migration run takes first (`hashtextextended`, as `AdvisoryLocks` keys its locks). */
export const MIGRATION_LOCK = 'metisai:migrate';

/**
 * Applies pending migrations; returns the names applied. Runs under a session advisory lock (`MIGRATION_LOCK`), taken
 * on a connection of its own (`application_name` `metisai-migrate`) and held until the migrator is done: replicas that
 * start together on an empty database wait for the first, then find nothing left to apply. The lock is released
 * (the connection closed) whatever happens; a process that dies holding it releases it with its connection.
 */
export async function migrate(orm: Orm, databaseUrl: string): Promise<string[]> {
  const lock = new pg.Client({ connectionString: databaseUrl, application_name: 'metisai-migrate' });
  lock.on('error', () => {
    // The lock is gone with its connection; the migrator's own statements fail or finish on their connection.
  });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
    const applied = await orm.migrator.up();
    return applied.map((migration) => migration.name);
  } finally {
    await lock.end().catch(() => undefined);
  }
}

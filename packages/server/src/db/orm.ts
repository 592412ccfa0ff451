import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
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

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((migration) => migration.name);
}

import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { type Config, loadConfig } from '../src/config.ts';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';

/** A bench's data directory and database; `close()` stops the embedded PostgreSQL (if any) and removes the directory. */
export interface BenchDatabase {
  /** A fresh directory under the system's temp dir, mode 0755 (embedded PostgreSQL runs as `postgres` when root). */
  dataDir: string;
  /** `DATABASE_URL` when set, else an embedded PostgreSQL's under `dataDir/pg`. */
  databaseUrl: string;
  close(): Promise<void>;
}

/** Makes `metis-bench-<name>-…` and its database, telling `progress` when PostgreSQL starts (seconds on a first run). */
export async function openBenchDatabase(name: string, logger: Logger, progress: (message: string) => void): Promise<BenchDatabase> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `metis-bench-${name}-`));
  await chmod(dataDir, 0o755);
  const remove = () => rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
  if (process.env.DATABASE_URL) return { dataDir, databaseUrl: process.env.DATABASE_URL, close: remove };
  progress('starting PostgreSQL');
  const embedded = await startEmbeddedPostgres(path.join(dataDir, 'pg'), logger).catch(async (error: unknown) => {
    await remove();
    throw error;
  });
  return {
    dataDir,
    databaseUrl: embedded.url,
    close: async () => {
      await embedded.stop();
      await remove();
    },
  };
}

/**
 * The configuration of a server that runs agents in a bench, on `database`: production mode on 127.0.0.1 and a free
 * port, `warn` logs, sandboxes of `driver` from `image`, no per-user API rate limit, bcrypt cost 4. Not laptop mode, so
 * the local driver and the scripted LLM on 127.0.0.1 are allowed by name.
 */
export function benchServerConfig(database: Pick<BenchDatabase, 'dataDir' | 'databaseUrl'>, driver: 'local' | 'docker', image: string): Config {
  return loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: database.databaseUrl,
    METIS_DATA_DIR: database.dataDir,
    SECRET_KEY: 'bench-secret-key-0123456789abcdef0123456789',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SANDBOX_DRIVER: driver,
    ALLOW_UNSAFE_LOCAL_SANDBOX: 'true',
    EGRESS_ALLOWED_HOSTS: '127.0.0.1',
    SANDBOX_IMAGE: image,
    RATE_LIMIT_API_PER_USER: '0',
    BCRYPT_COST: '4',
  });
}

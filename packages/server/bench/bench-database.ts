import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
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

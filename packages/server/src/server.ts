import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import { loadConfig, type Config } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres.ts';
import { createOrm, migrate, type Orm } from './db/orm.ts';
import { createLogger } from './logger.ts';
import { deriveKeys, loadOrCreateSecretKey } from './security/keys.ts';
import type { AgentRuntime } from './services/agent-runtime.ts';
import { createServices } from './services/index.ts';
import { VERSION } from './version.ts';

export interface StartOptions {
  /** Defaults to `loadConfig(process.env)`. */
  config?: Config;
  logger?: Logger;
  agentRuntime?: AgentRuntime;
}

export interface RunningServer {
  url: string;
  port: number;
  config: Config;
  orm: Orm;
  logger: Logger;
  /** Stops taking requests, waits for open ones and background work, closes the database (and the embedded one). */
  close(): Promise<void>;
}

/** The database to use: DATABASE_URL, or an embedded PostgreSQL in the data dir. */
async function openDatabase(config: Config, logger: Logger): Promise<{ url: string; embedded: EmbeddedDatabase | null }> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  const embedded = await startEmbeddedPostgres(config.dataDir, logger);
  return { url: embedded.url, embedded };
}

/** Opens the database, applies migrations, and listens. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig();
  const logger = options.logger ?? createLogger(config.logLevel);
  const secretKey = config.secretKey ?? (await loadOrCreateSecretKey(config.dataDir));
  if (!config.secretKey) logger.info({ file: `${config.dataDir}/secret-key` }, 'using the generated development SECRET_KEY');
  const keys = deriveKeys(secretKey);
  const database = await openDatabase(config, logger);
  let orm: Orm | undefined;
  try {
    orm = await createOrm({ databaseUrl: database.url, logger });
    const applied = await migrate(orm);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  } catch (error) {
    await orm?.close();
    await database.embedded?.stop();
    throw error;
  }
  const services = createServices({ config, keys, orm, logger, agentRuntime: options.agentRuntime });
  const app = createApp({ config, orm, keys, logger, services, version: VERSION });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
    listening.once('error', reject);
  }).catch(async (error: NodeJS.ErrnoException) => {
    await orm.close();
    await database.embedded?.stop();
    if (error.code === 'EADDRINUSE') throw new Error(`PORT: ${config.host}:${config.port} is already in use; set PORT to another port`);
    throw error;
  });
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, version: VERSION, database: database.embedded ? 'embedded' : 'DATABASE_URL' }, 'MetisAI server listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await services.agents.drain();
      await orm.close();
      await database.embedded?.stop();
      logger.info('MetisAI server stopped');
    })());
  return { url, port, config, orm, logger, close };
}

import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import { loadConfig, type Config } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres.ts';
import { createOrm, migrate, type Orm } from './db/orm.ts';
import { EventBus, ormEventSource } from './events/index.ts';
import { createLogger } from './logger.ts';
import { deriveKeys, loadOrCreateSecretKey } from './security/keys.ts';
import type { AgentRuntime } from './services/agent-runtime.ts';
import { createServices } from './services/index.ts';
import { openAgentRuntime } from './runtime/index.ts';
import { VERSION } from './version.ts';

export interface StartOptions {
  /** Defaults to `loadConfig(process.env)`. */
  config?: Config;
  logger?: Logger;
  /** Replaces what starting and stopping an agent does (tests gate transitions with it). */
  agentRuntime?: AgentRuntime;
}

export interface RunningServer {
  url: string;
  port: number;
  config: Config;
  orm: Orm;
  logger: Logger;
  /** Live conversation events of this process (its LISTEN connection and feeds). */
  events: EventBus;
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
  let events: EventBus | undefined;
  try {
    orm = await createOrm({ databaseUrl: database.url, logger });
    const applied = await migrate(orm);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    events = new EventBus({ databaseUrl: database.url, source: ormEventSource(orm), logger });
    await events.start();
  } catch (error) {
    await events?.close();
    await orm?.close();
    await database.embedded?.stop();
    throw error;
  }
  const runtime = await openAgentRuntime({ config, orm, logger, databaseUrl: database.url, events });
  const services = createServices({
    config,
    keys,
    orm,
    logger,
    makeRuntime: (deps) => {
      const wired = runtime.wire(deps);
      return options.agentRuntime ? { ...wired, agentRuntime: options.agentRuntime } : wired;
    },
  });
  await runtime.recover();
  const app = createApp({ config, orm, keys, logger, services, events, version: VERSION });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
    listening.once('error', reject);
  }).catch(async (error: NodeJS.ErrnoException) => {
    await runtime.close();
    await events.close();
    await orm.close();
    await database.embedded?.stop();
    if (error.code === 'EADDRINUSE') throw new Error(`PORT: ${config.host}:${config.port} is already in use; set PORT to another port`);
    throw error;
  });
  server.keepAliveTimeout = 65_000;
  // Connections on which no request came yet (HTTP clients open spares ahead of use) do not count as idle for
  // Node until the headers timeout, so close() would wait for them: it ends them itself.
  const unused = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  server.on('request', (request: IncomingMessage) => unused.delete(request.socket));
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, version: VERSION, database: database.embedded ? 'embedded' : 'DATABASE_URL' }, 'MetisAI server listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // First: open event streams end, so the HTTP server has no long-lived response to wait for.
      await events.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        for (const socket of unused) socket.destroy();
      });
      await services.agents.drain();
      // Runs still going end as `interrupted` (stored), sandboxes are left for the next start to reconnect.
      await runtime.close();
      await orm.close();
      await database.embedded?.stop();
      logger.info('MetisAI server stopped');
    })());
  return { url, port, config, orm, logger, events, close };
}

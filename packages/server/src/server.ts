import type { IncomingMessage, Server } from 'node:http';
import path from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { createSandboxDriver, type SandboxDriver, type SandboxDriverConfig } from '@metisai/sandbox';
import type pg from 'pg';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import { type Config, loadConfig } from './config.ts';
import { CatchUpRequests } from './control/catch-up.ts';
import { ControlChannel } from './control/control-channel.ts';
import { AdvisoryLocks } from './db/advisory-locks.ts';
import { startEmbeddedPostgres } from './db/embedded-postgres.ts';
import { readInstallationId } from './db/installation.ts';
import { createOrm, migrate, type Orm } from './db/orm.ts';
import { PgListener } from './db/pg-listener.ts';
import { ConversationEntity } from './entities/index.ts';
import { EventBus, ormEventSource } from './events/index.ts';
import { answerClientErrors } from './http/client-errors.ts';
import { OpenStreams } from './http/open-streams.ts';
import { createLogger } from './logger.ts';
import { Metrics, type MetricsSources } from './metrics/metrics.ts';
import { startMetricsServer } from './metrics/metrics-server.ts';
import { AccountSandboxRemoval } from './runs/account-sandbox-removal.ts';
import { ConfirmationTimeouts } from './runs/confirmation-timeouts.ts';
import { ConversationRunner } from './runs/conversation-runner.ts';
import { RepositorySetup } from './runs/repository-setup.ts';
import { ConversationSandboxes } from './runs/conversation-sandboxes.ts';
import { EmbedSweep } from './runs/embed-sweep.ts';
import { PooledAgentLifecycle } from './runs/pooled-agent-lifecycle.ts';
import { RunLock } from './runs/run-lock.ts';
import { RunRecovery } from './runs/run-recovery.ts';
import { detectSandboxDriver } from './sandboxes/detect-sandbox-driver.ts';
import { ImageBuilder } from './sandboxes/image-build.ts';
import { instanceLock, SandboxManager, sandboxOwner } from './sandboxes/sandbox-manager.ts';
import { deriveKeys, loadOrCreateSecretKey } from './security/keys.ts';
import { uuid7 } from './security/uuid7.ts';
import type { AgentLifecycle } from './services/agent-lifecycle.ts';
import { createCoreServices, createServices } from './services/index.ts';
import { WorkspaceSnapshots } from './services/workspace-snapshots.ts';
import { VERSION } from './version.ts';

/** The steps of a start, in the order they run (see `docs/architecture.md`). */
export type StartStep = 'database' | 'orm' | 'events' | 'services' | 'sandboxes' | 'runner' | 'app' | 'recovery' | 'listen';

export interface StartOptions {
  /** Defaults to `loadConfig(process.env)`. */
  config?: Config;
  logger?: Logger;
  /** Replaces what starting and stopping an agent does (tests gate transitions with it). */
  agentLifecycle?: AgentLifecycle;
  /**
   * Called after each start step. A throw fails the start there, like a failure of the step itself: whatever was
   * opened is closed again (tests check that nothing is left behind).
   */
  afterStep?: (step: StartStep) => void | Promise<void>;
}

export interface RunningServer {
  url: string;
  port: number;
  config: Config;
  orm: Orm;
  logger: Logger;
  /** Live conversation events of this process (its feeds on the LISTEN connection). */
  events: EventBus;
  /** `http://host:port/metrics` when `METRICS_PORT` is set. */
  metricsUrl: string | undefined;
  /** Stops taking requests, waits for open ones and background work, closes the database (and the embedded one). */
  close(): Promise<void>;
}

/**
 * What a start opened, closed in the reverse order: on a failed start, and by `close()`. A closer that fails is
 * logged and the unwinding goes on.
 */
class Closers {
  readonly #stack: Array<{ name: string; close: () => Promise<void> | void }> = [];
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  push(name: string, close: () => Promise<void> | void): void {
    this.#stack.push({ name, close });
  }

  async closeAll(): Promise<void> {
    for (let closer = this.#stack.pop(); closer; closer = this.#stack.pop()) {
      try {
        await closer.close();
      } catch (error) {
        this.#logger.error({ err: error, part: closer.name }, 'closing failed');
      }
    }
  }
}

/**
 * The composition root: builds the server's parts leaves first — config, database (embedded if no `DATABASE_URL`),
 * ORM and migrations, installation id, event log and bus and control channel (one LISTEN connection), the services
 * the runner needs (settings, secrets, run settings, usage), sandbox driver and locks, the runner and recovery, the
 * remaining services, the app — then recovers interrupted runs and listens. Each part that opens something registers
 * its closer; a failure at any step closes what is open and rethrows.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig();
  const logger = options.logger ?? createLogger(config.logLevel);
  const closers = new Closers(logger);
  const step = async (name: StartStep) => options.afterStep?.(name);
  try {
    const secretKey = config.secretKey ?? (await loadOrCreateSecretKey(config.dataDir));
    if (!config.secretKey) logger.info({ file: `${config.dataDir}/secret-key` }, 'using the generated development SECRET_KEY');
    const keys = deriveKeys(secretKey);

    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(config.dataDir, logger);
      closers.push('embedded postgres', () => embedded.stop());
      databaseUrl = embedded.url;
    }
    await step('database');

    const orm = await createOrm({ databaseUrl, logger });
    closers.push('orm', () => orm.close());
    const applied = await migrate(orm, databaseUrl);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    const installationId = await readInstallationId(orm);
    await step('orm');

    const listener = new PgListener({ databaseUrl, logger });
    const events = new EventBus({ listener, source: ormEventSource(orm), logger });
    const control = new ControlChannel({ listener, orm, logger });
    await listener.start();
    closers.push('listen connection', () => listener.close());
    await step('events');

    const core = createCoreServices(config, keys);
    closers.push('egress guard', () => core.egress.close());
    await step('services');

    const locks = new AdvisoryLocks(databaseUrl, logger);
    await locks.open();
    closers.push('advisory locks', () => locks.close());
    // Sandboxes are labelled `metisai:<installation>:<process>`: a server reaps only its own installation's.
    const instanceId = `${installationId}:${uuid7()}`;
    await locks.tryAcquire(instanceLock(instanceId));
    const runsLogger = logger.child({ component: 'runs' });
    // The one sandbox driver of this process, built from the configuration; nothing else branches on it. Its own image
    // (metisai/sandbox:latest, or SANDBOX_IMAGE with SANDBOX_DOCKERFILE) is never built lazily on `create` nor pulled:
    // the image builder makes it (SANDBOX_IMAGE_BUILD), once across replicas, or it must exist.
    const driverName = await detectSandboxDriver(config.sandboxDriver, config.isLaptopMode, logger, config.docker);
    const driverConfig: Omit<SandboxDriverConfig, 'driver'> = {
      owner: sandboxOwner(instanceId),
      onLog: (line) => runsLogger.info({ sandbox: line }, 'sandbox'),
      docker: {
        engine: config.docker,
        image: config.sandboxImage,
        allowedImages: config.sandboxAllowedImages,
        dockerfile: config.sandboxDockerfile,
        buildDefaultImage: false,
        // Outside laptop mode an egress sandbox without its host rules is refused; on a laptop it goes on, warned.
        network: { name: config.sandboxNetwork, firewall: config.isLaptopMode ? 'best-effort' : 'required' },
      },
      local: { rootDir: path.join(config.dataDir, 'sandboxes') },
    };
    const driver = createSandboxDriver({ ...driverConfig, driver: driverName });
    const images =
      config.sandboxImageBuild && driver.imageBuild
        ? new ImageBuilder({ build: driver.imageBuild, locks, orm, logger: logger.child({ component: 'image-build' }) })
        : null;
    const runLock = new RunLock(locks, orm);
    const sandboxes = new SandboxManager({
      driver,
      instanceId,
      logger: runsLogger,
      locks,
      maxPerUser: config.quotas.sandboxes,
      images,
      isRunElsewhere: (conversationId) => runLock.isHeldElsewhere(conversationId),
      // Only to remove what a deleted conversation made under the other driver; never to run anything.
      otherDriver: () => createSandboxDriver({ ...driverConfig, driver: driverName === 'docker' ? 'local' : 'docker' }),
    });
    closers.push('sandboxes', () => sandboxes.close());
    await step('sandboxes');

    const streams = new OpenStreams();
    // Prometheus metrics (METRICS_PORT): gauges read their sources when scraped; nothing is measured without it.
    const metrics = config.metrics ? new Metrics(await metricsSources(orm, driver, installationId, streams), logger.child({ component: 'metrics' })) : null;

    const snapshots = new WorkspaceSnapshots({ orm, logger: runsLogger });
    const confirmations = new ConfirmationTimeouts({ orm, logger: runsLogger, runLock });
    closers.push('confirmation timeouts', () => confirmations.close());
    const conversationSandboxes = new ConversationSandboxes({ orm, logger: runsLogger, sandboxes, runLock, runSettings: core.runSettings, snapshots });
    const repositories = new RepositorySetup({
      orm,
      logger: runsLogger,
      sandboxes: conversationSandboxes,
      runSettings: core.runSettings,
      secrets: core.secrets,
      egress: core.egress,
      limits: config.clone,
    });
    const runner = new ConversationRunner({
      orm,
      logger: runsLogger,
      runLock,
      control,
      sandboxes: conversationSandboxes,
      runSettings: core.runSettings,
      usage: core.usage,
      quotas: core.quotas,
      llmCalls: metrics?.llmCalls,
      snapshots,
      embedQuotas: core.embedQuotas,
      confirmations,
      sandboxManager: sandboxes,
      repositories,
    });
    closers.push('runs', () => runner.close());
    const recovery = new RunRecovery({ orm, logger: runsLogger, runLock, runner, control });
    closers.push('run recovery', () => recovery.close());
    await step('runner');

    let lifecycle = options.agentLifecycle;
    if (!lifecycle) {
      const pooled = new PooledAgentLifecycle(sandboxes, recovery, control);
      closers.push('agent pools', () => pooled.close());
      lifecycle = pooled;
    }
    const accountSandboxes = new AccountSandboxRemoval({ orm, logger: runsLogger, control, runner, sandboxes });
    closers.push('account sandbox removal', () => accountSandboxes.close());
    const services = createServices({
      config,
      keys,
      orm,
      logger,
      core,
      lifecycle,
      runs: runner,
      sandboxes: accountSandboxes,
      revocations: control,
      sandboxDriver: () => sandboxes.driver,
      locks,
      workspaces: conversationSandboxes,
      snapshots,
      version: VERSION,
    });
    closers.push('agent transitions', () => services.agents.drain());
    const catchUp = new CatchUpRequests(control, logger);
    closers.push('catch-up requests', () => catchUp.close());
    const app = createApp({ config, orm, keys, logger, services, events, control, streams, catchUp, version: VERSION, sandboxDriver: driver.name, metrics });
    await step('app');

    await recovery.recoverInterrupted();
    await services.agents.recoverInterruptedTransitions();
    if (images) {
      // Registered after the agent transitions' closer, so closed before it: a start waiting for the build must not hold up the drain.
      closers.push('image build', () => images.close());
      images.start();
    }
    // Visitors' conversations past retention, and confirmations that timed out while no process held them.
    const embedSweep = new EmbedSweep({
      orm,
      logger: runsLogger,
      locks,
      runner,
      confirmations,
      embedQuotas: core.embedQuotas,
      intervalSeconds: config.embed.sweepSeconds,
    });
    embedSweep.start();
    closers.push('embed sweep', () => embedSweep.close());
    const referenced = await orm.em.fork().find(ConversationEntity, { sandboxId: { $ne: null } }, { fields: ['sandboxId'] });
    void sandboxes
      .reapOrphans(new Set(referenced.map((conversation) => conversation.sandboxId!)))
      .catch((error: unknown) => runsLogger.warn({ err: error }, 'reaping orphaned sandboxes failed'));
    await step('recovery');

    const server = await listen(app, config, logger);
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`;
    closers.push('http', async () => {
      // First: open event streams end, so the HTTP server has no long-lived response to wait for; their quota rows
      // are removed before the database closes.
      await events.close();
      await streams.drain();
      await server.close();
    });
    let metricsUrl: string | undefined;
    if (metrics && config.metrics) {
      const metricsServer = await startMetricsServer(metrics, config.metrics);
      closers.push('metrics', () => metricsServer.close());
      const host = config.metrics.host.includes(':') ? `[${config.metrics.host}]` : config.metrics.host;
      metricsUrl = `http://${host}:${metricsServer.port}/metrics`;
      logger.info({ url: metricsUrl }, 'metrics listening');
    }
    await step('listen');
    logger.info({ url, version: VERSION, database: config.databaseUrl ? 'DATABASE_URL' : 'embedded' }, 'MetisAI server listening');

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= closers.closeAll().then(() => {
        logger.info('MetisAI server stopped');
      }));
    return { url, port: server.port, config, orm, logger, events, metricsUrl, close };
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}

/** What the metrics' gauges read: run states from the database, this installation's sandboxes from the engine, open streams, the pool. */
async function metricsSources(orm: Orm, driver: SandboxDriver, installationId: string, streams: OpenStreams): Promise<MetricsSources> {
  const ownerPrefix = sandboxOwner(`${installationId}:`);
  const pool = (await orm.em.getConnection().getNativeClient()) as pg.Pool;
  return {
    async runsByState() {
      const rows = await orm.em
        .fork()
        .getConnection()
        .execute<{ state: string; count: string }[]>('select state, count(*) as count from conversations group by state');
      return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
    },
    async sandboxesByState() {
      const counts: Record<string, number> = {};
      for (const info of await driver.list()) {
        if (info.owner?.startsWith(ownerPrefix)) counts[info.state] = (counts[info.state] ?? 0) + 1;
      }
      return counts;
    },
    openStreams: () => streams.size,
    pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 }),
  };
}

/** While the HTTP server closes, how often connections whose last response ended since are closed. */
const CLOSE_SWEEP_MS = 50;

/** Listens on the configured host and port; `close()` stops taking requests and waits for the open ones. */
async function listen(app: Koa<never>, config: Config, logger: Logger): Promise<{ port: number; close: () => Promise<void> }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
    listening.once('error', reject);
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new Error(`PORT: ${config.host}:${config.port} is already in use; set PORT to another port`);
    throw error;
  });
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server, logger);
  // Connections on which no request came yet (HTTP clients open spares ahead of use) do not count as idle for
  // Node until the headers timeout, so close() would wait for them: it ends them itself.
  const unused = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  server.on('request', (request: IncomingMessage) => unused.delete(request.socket));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        // A response still being sent (a download) keeps its connection open, and a keep-alive connection stays open
        // once that response is over: Node closes only the connections idle when close() is called, and the rest would
        // keep close() waiting for keepAliveTimeout (65 s). Each one is closed as soon as its response is done.
        const sweep = setInterval(() => server.closeIdleConnections(), CLOSE_SWEEP_MS);
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
        for (const socket of unused) socket.destroy();
      }),
  };
}

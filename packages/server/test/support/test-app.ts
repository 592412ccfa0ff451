import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createOrm } from '../../src/db/orm.ts';
import { PgListener } from '../../src/db/pg-listener.ts';
import { EventBus, ormEventSource } from '../../src/events/index.ts';
import { CatchUpRequests } from '../../src/control/catch-up.ts';
import { ControlChannel } from '../../src/control/control-channel.ts';
import { answerClientErrors } from '../../src/http/client-errors.ts';
import { OpenStreams } from '../../src/http/open-streams.ts';
import { createLogger } from '../../src/logger.ts';
import { deriveKeys } from '../../src/security/keys.ts';
import { type AgentLifecycle, ConfigCheck } from '../../src/services/agent-lifecycle.ts';
import { createCoreServices, createServices } from '../../src/services/index.ts';
import { VERSION } from '../../src/version.ts';
import { createTestDatabase, testEnv } from './test-server.ts';

/**
 * The app over the real database, with no runner: what route tests that run no agent need, without the LISTEN
 * connection, locks, Docker detection and recovery a server starts. Starting an agent only checks its config (or does
 * what `agentLifecycle` does); posting a message to a running agent fails (no runner), so tests that run agents use
 * `startTestServer`. Served by node:http on a free port, like the real server (whose parser errors get JSON bodies too).
 */
export async function startTestApp(options: { env?: Record<string, string>; databaseUrl?: string; agentLifecycle?: AgentLifecycle; logger?: Logger } = {}) {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const config = loadConfig(testEnv(databaseUrl, options.env));
  const logger = options.logger ?? createLogger('silent');
  const keys = deriveKeys(config.secretKey!);
  const orm = await createOrm({ databaseUrl, logger });
  // Never started: event streams replay what is stored, and nothing arrives live.
  const listener = new PgListener({ databaseUrl, logger });
  const events = new EventBus({ listener, source: ormEventSource(orm), logger });
  // Never listening either: revocations are sent (NOTIFY) but no process of this app receives them; tests of live
  // streams ending on revocation use a whole server.
  const control = new ControlChannel({ listener, orm, logger });
  const services = createServices({
    config,
    keys,
    orm,
    logger,
    core: createCoreServices(config, keys),
    lifecycle: options.agentLifecycle ?? new ConfigCheck(),
    runs: null,
    sandboxes: null,
    revocations: control,
    sandboxDriver: () => config.sandboxDriver ?? null,
    workspaces: null,
    version: VERSION,
  });
  const streams = new OpenStreams();
  const catchUp = new CatchUpRequests(control, logger);
  const app = createApp({ config, orm, keys, logger, services, events, control, streams, catchUp, version: VERSION, sandboxDriver: null });
  const server = createServer(app.callback());
  answerClientErrors(server, logger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    config,
    orm,
    logger,
    events,
    databaseUrl,
    async close() {
      await events.close();
      catchUp.close();
      await streams.drain();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.agents.drain();
      await orm.close();
    },
  };
}

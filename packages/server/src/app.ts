import cors from '@koa/cors';
import type { SandboxDriverName } from '@metisai/sandbox';
import Koa from 'koa';
import helmet from 'koa-helmet';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { CatchUpRequests } from './control/catch-up.ts';
import type { ControlChannel } from './control/control-channel.ts';
import type { Orm } from './db/orm.ts';
import type { EventBus } from './events/index.ts';
import type { AppState } from './http/app-state.ts';
import { accessLog } from './http/middleware/access-log.ts';
import { httpMetrics } from './http/middleware/http-metrics.ts';
import { authenticate } from './http/middleware/auth.ts';
import { embedCors, isEmbedPath } from './http/middleware/embed-cors.ts';
import { noStore } from './http/middleware/no-store.ts';
import type { OpenStreams } from './http/open-streams.ts';
import { errorBody } from './http/middleware/error-body.ts';
import { ormContext } from './http/middleware/orm-context.ts';
import { requestBody } from './http/middleware/request-body.ts';
import { requestId } from './http/middleware/request-id.ts';
import { apiEndpoints, apiRouter, healthRouter } from './http/routes/index.ts';
import { widgetRouter } from './http/routes/widget.ts';
import { consoleRouter } from './http/routes/console.ts';
import { findWidgetBuild, type WidgetBuild } from './http/widget-build.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { Keys } from './security/keys.ts';
import type { Services } from './services/index.ts';

export interface AppDeps {
  config: Config;
  orm: Orm;
  keys: Keys;
  logger: Logger;
  services: Services;
  events: EventBus;
  /** Revocations arrive on it (from any process) and end the matching open event streams of this one. */
  control: ControlChannel;
  /** This process's open event streams; `drain()` it after the bus closed, before the database closes. */
  streams: OpenStreams;
  /** Asks the process running a conversation for its text in flight, when a stream opens. */
  catchUp: CatchUpRequests;
  version: string;
  /**
   * The built widget served at `/widget/<version>/…` and the console served at `/`; default: the `@metisai/widget`
   * package's `dist/`. `null`: none.
   */
  widget?: WidgetBuild | null;
  /** Where agents' commands run; `null` for an app without a runner. */
  sandboxDriver: SandboxDriverName | null;
  /** Request durations go there (`METRICS_PORT`); null or absent: not measured. */
  metrics?: Metrics | null;
}

const corsOrigin = (allowed: string[]) => (ctx: Koa.Context) => {
  const origin = ctx.get('Origin');
  if (allowed.includes('*')) return '*';
  return allowed.includes(origin) ? origin : '';
};

const unlessEmbed =
  (middleware: Koa.Middleware<AppState>): Koa.Middleware<AppState> =>
  (ctx, next) =>
    isEmbedPath(ctx.path) ? next() : middleware(ctx, next);

/** Wires middleware and routes; `main.ts` listens, tests may too. */
export function createApp(deps: AppDeps): Koa<AppState> {
  const { config, orm, keys, logger, services, events, control, streams, catchUp, version, sandboxDriver } = deps;
  // `X-Forwarded-For` is believed for as many hops as there are proxies (counted from the right): a client's own
  // entries, further left, never become `ctx.ip`.
  const app = new Koa<AppState>({ proxy: config.trustProxyHops > 0, maxIpsCount: config.trustProxyHops });
  app.silent = true;
  const revoked = (count: number, fields: Record<string, unknown>) => {
    if (count > 0) logger.info({ security_event: 'stream_revoked', streams: count, ...fields }, 'security: stream_revoked');
  };
  control.on('revoke_session', ({ session_id }) => revoked(streams.revoke({ kind: 'session', sessionId: session_id }), { session_id }));
  control.on('revoke_api_key', ({ api_key_id }) => revoked(streams.revoke({ kind: 'api_key', apiKeyId: api_key_id }), { api_key_id }));
  control.on('revoke_user', ({ user_id, except_session_id }) =>
    revoked(streams.revoke({ kind: 'user', userId: user_id, exceptSessionId: except_session_id }), { user_id }),
  );
  control.on('embed_generation', ({ agent_id, generation }) =>
    revoked(streams.revoke({ kind: 'embed_generation', agentId: agent_id, generation }), { agent_id, generation }),
  );
  const routeDeps = { config, orm, keys, services, events, streams, catchUp, version, sandboxDriver };
  const endpoints = apiEndpoints(routeDeps);
  const api = apiRouter(
    endpoints,
    routeDeps,
    authenticate({
      jwtKey: keys.jwtSigning,
      embedKey: keys.embedSigning,
      auth: services.auth,
      apiKeys: services.apiKeys,
      visitors: services.visitors,
      buckets: services.buckets,
      perUserLimit: config.rateLimit.apiPerUser,
      failedPerIp: config.rateLimit.failedAuthPerIp,
      windowSeconds: config.rateLimit.windowSeconds,
    }),
  );
  const health = healthRouter(routeDeps);
  const build = deps.widget === undefined ? findWidgetBuild() : (deps.widget ?? undefined);
  const widget = widgetRouter(build, { isImmutable: config.env !== 'development' });
  const web = consoleRouter(build?.consoleDir);
  if (deps.metrics) app.use(httpMetrics(deps.metrics));
  app
    .use(requestId(logger))
    .use(accessLog())
    .use(noStore())
    .use(errorBody())
    .use(helmet())
    .use(embedCors())
    .use(
      // The visitor routes have CORS of their own (`embedCors`): CORS_ORIGINS does not apply to them.
      unlessEmbed(
        cors({
          origin: config.corsOrigins.length > 0 ? corsOrigin(config.corsOrigins) : () => '',
          allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID', 'X-Request-Id'],
          exposeHeaders: ['X-Request-Id', 'Retry-After', 'Idempotent-Replayed', 'Content-Disposition', 'Content-Length'],
          allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
          maxAge: 600,
        }) as Koa.Middleware<AppState>,
      ),
    )
    .use(ormContext(orm))
    .use(requestBody(endpoints, config.bodyLimitBytes))
    .use(health.routes())
    .use(widget.routes())
    .use(api.routes())
    .use(api.allowedMethods())
    .use(web.routes());
  return app;
}

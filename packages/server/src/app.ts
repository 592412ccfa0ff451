import cors from '@koa/cors';
import Koa from 'koa';
import helmet from 'koa-helmet';
import type { SandboxDriverName } from '@metisai/sandbox';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Orm } from './db/orm.ts';
import type { EventBus } from './events/index.ts';
import type { AppState } from './http/app-state.ts';
import { accessLog } from './http/middleware/access-log.ts';
import { authenticate } from './http/middleware/auth.ts';
import { errorBody } from './http/middleware/error-body.ts';
import { ormContext } from './http/middleware/orm-context.ts';
import { requestBody } from './http/middleware/request-body.ts';
import { requestId } from './http/middleware/request-id.ts';
import { apiEndpoints, apiRouter, healthRouter } from './http/routes/index.ts';
import type { Keys } from './security/keys.ts';
import type { Services } from './services/index.ts';

export interface AppDeps {
  config: Config;
  orm: Orm;
  keys: Keys;
  logger: Logger;
  services: Services;
  events: EventBus;
  version: string;
  /** Where agents' commands run; `null` for an app without a runner. */
  sandboxDriver: SandboxDriverName | null;
}

const corsOrigin = (allowed: string[]) => (ctx: Koa.Context) => {
  const origin = ctx.get('Origin');
  if (allowed.includes('*')) return '*';
  return allowed.includes(origin) ? origin : '';
};

/** Wires middleware and routes; `main.ts` listens, tests may too. */
export function createApp(deps: AppDeps): Koa<AppState> {
  const { config, orm, keys, logger, services, events, version, sandboxDriver } = deps;
  const app = new Koa<AppState>({ proxy: config.trustProxy });
  app.silent = true;
  const routeDeps = { config, orm, keys, services, events, version, sandboxDriver };
  const endpoints = apiEndpoints(routeDeps);
  const api = apiRouter(
    endpoints,
    routeDeps,
    authenticate({
      jwtKey: keys.jwtSigning,
      auth: services.auth,
      apiKeys: services.apiKeys,
      perUserLimit: config.rateLimit.apiPerUser,
      windowSeconds: config.rateLimit.windowSeconds,
    }),
  );
  const health = healthRouter(routeDeps);
  app
    .use(requestId(logger))
    .use(accessLog())
    .use(errorBody())
    .use(helmet())
    .use(
      cors({
        origin: config.corsOrigins.length > 0 ? corsOrigin(config.corsOrigins) : () => '',
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'Retry-After', 'Idempotent-Replayed', 'Content-Disposition', 'Content-Length'],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        maxAge: 600,
      }),
    )
    .use(ormContext(orm))
    .use(requestBody(endpoints, config.bodyLimitBytes))
    .use(health.routes())
    .use(api.routes())
    .use(api.allowedMethods());
  return app;
}

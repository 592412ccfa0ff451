import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import type { Health } from '@metisai/sdk/schemas';
import type { AppState } from '../app-state.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { NotFoundError } from '../../errors.ts';
import type { Endpoint } from '../endpoint.ts';
import { buildOpenApi } from '../openapi.ts';
import { parseInput } from '../validate.ts';
import { agentEndpoints } from './agents.ts';
import { authEndpoints } from './auth.ts';
import { conversationEndpoints } from './conversations.ts';
import { fileEndpoints } from './files.ts';
import { serverInfoEndpoints } from './server-info.ts';
import type { RouteDeps } from './deps.ts';
import { apiKeyEndpoints } from './api-keys.ts';
import { secretEndpoints } from './secrets.ts';
import { settingsEndpoints } from './settings.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every `/api/v1` endpoint. The only place that spells out which resources exist. */
export const apiEndpoints = (deps: RouteDeps): Endpoint[] => [
  ...serverInfoEndpoints(deps),
  ...authEndpoints(deps),
  ...agentEndpoints(deps),
  ...conversationEndpoints(deps),
  ...fileEndpoints(deps),
  ...settingsEndpoints(deps),
  ...secretEndpoints(deps),
  ...apiKeyEndpoints(deps),
];

/** Validates path ids (a non-UUID is a 404, like a missing resource), query and body, then calls the handler. */
const handle =
  (spec: Endpoint): Middleware<AppState> =>
  async (ctx) => {
    const params = (ctx as unknown as { params: Record<string, string> }).params ?? {};
    for (const [name, value] of Object.entries(params)) if (!UUID.test(value)) throw new NotFoundError(name === 'id' ? spec.tag.replace(/s$/, '') : name);
    const query = spec.query ? parseInput(spec.query, { ...ctx.query }, 'query') : undefined;
    const body = spec.body ? parseInput(spec.body, ctx.request.body ?? {}, 'body') : undefined;
    await spec.handler(ctx, { body, query, params } as never);
  };

export function apiRouter(endpoints: Endpoint[], deps: RouteDeps, authenticate: Middleware<AppState>): Router<AppState> {
  // Built and serialised once: it only changes with the code.
  const openApi = JSON.stringify(buildOpenApi(endpoints, deps.version));
  const router = new Router<AppState>({ prefix: '/api/v1' });
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = openApi;
  });
  const replayable = idempotency(deps.keys.secretEncryption);
  for (const spec of endpoints) {
    const stack = [...(spec.isPublic ? [] : [authenticate]), ...(spec.method === 'post' ? [replayable] : []), handle(spec)];
    router[spec.method](spec.path, ...stack);
  }
  return router;
}

/** `/healthz`: the process is up. `/readyz`: it can reach the database. */
export function healthRouter(deps: RouteDeps): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok', version: deps.version } satisfies Health;
  });
  router.get('/readyz', async (ctx) => {
    try {
      await deps.orm.em.fork().execute('select 1');
      ctx.body = { status: 'ok', version: deps.version, checks: { database: 'ok' } } satisfies Health;
    } catch (error) {
      ctx.state.log.warn({ err: error }, 'readiness check failed');
      ctx.status = 503;
      ctx.body = { status: 'unavailable', version: deps.version, checks: { database: 'unreachable' } } satisfies Health;
    }
  });
  return router;
}

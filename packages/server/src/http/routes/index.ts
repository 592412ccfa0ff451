import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import type { Health } from '@metisai/sdk/schemas';
import type { AppState } from '../app-state.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { ConversationEntity } from '../../entities/index.ts';
import { InsufficientScopeError, NotFoundError } from '../../errors.ts';
import { grants } from '../../security/scopes.ts';
import { logSecurityEvent } from '../../security/security-events.ts';
import type { Endpoint } from '../endpoint.ts';
import { buildOpenApi } from '../openapi.ts';
import { parseInput } from '../validate.ts';
import { agentEndpoints } from './agents.ts';
import { authEndpoints } from './auth.ts';
import { conversationEndpoints } from './conversations.ts';
import { embedEndpoints } from './embed.ts';
import { publishableKeyEndpoints } from './publishable-keys.ts';
import { fileEndpoints } from './files.ts';
import { serverInfoEndpoints } from './server-info.ts';
import type { RouteDeps } from './deps.ts';
import { apiKeyEndpoints } from './api-keys.ts';
import { secretEndpoints } from './secrets.ts';
import { settingsEndpoints } from './settings.ts';
import { usageEndpoints } from './usage.ts';
import { approvalEndpoints } from './approvals.ts';

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
  ...publishableKeyEndpoints(deps),
  ...embedEndpoints(deps),
  ...usageEndpoints(deps),
  ...approvalEndpoints(deps),
];

/** What a path parameter names, for its 404: `/conversations/:id` → `conversation`, `:key_id` → `key`. */
const resourceOf = (path: string, param: string) =>
  param === 'id' ? (new RegExp(`/([\\w-]+?)s?/:${param}(/|$)`).exec(path)?.[1] ?? 'resource') : param.replace(/_id$/, '');

/** Path ids must be UUIDs: anything else is a 404, like a missing resource (checked before anything reads them). */
const validIds =
  (spec: Endpoint): Middleware<AppState> =>
  async (ctx, next) => {
    const params = (ctx as unknown as { params: Record<string, string> }).params ?? {};
    for (const [name, value] of Object.entries(params)) if (!UUID.test(value)) throw new NotFoundError(resourceOf(spec.path, name));
    await next();
  };

/** Validates query and body, then calls the handler. */
const handle =
  (spec: Endpoint): Middleware<AppState> =>
  async (ctx) => {
    const params = (ctx as unknown as { params: Record<string, string> }).params ?? {};
    const query = spec.query ? parseInput(spec.query, { ...ctx.query }, 'query') : undefined;
    const body = spec.body ? parseInput(spec.body, ctx.request.body ?? {}, 'body') : undefined;
    await spec.handler(ctx, { body, query, params } as never);
  };

/**
 * The one place scopes are enforced: the credential must hold the endpoint's `scope` (403 `insufficient_scope`, with
 * `required_scope`), and a key restricted to some agents may only reach them (see `AgentAccess`). Runs after the path
 * ids are checked, before the body is read.
 */
const authorize =
  (spec: Endpoint): Middleware<AppState> =>
  async (ctx, next) => {
    const principal = ctx.state.principal;
    const refuse = (error: InsufficientScopeError) => {
      logSecurityEvent(ctx.state.log, 'scope_denied', {
        user_id: principal.userId,
        ...(principal.kind === 'visitor' ? { visitor_id: principal.visitorId } : { api_key_id: principal.apiKeyId }),
        route: `${spec.method.toUpperCase()} ${spec.path}`,
        required_scope: spec.scope,
      });
      throw error;
    };
    if (!grants(principal, spec.scope!)) {
      refuse(
        new InsufficientScopeError(
          spec.scope!,
          principal.kind === 'visitor'
            ? 'A visitor token reaches the /embed routes only'
            : spec.scope === 'visitor'
              ? 'This operation needs a visitor token (POST /embed/sessions, or one minted by an app)'
              : spec.scope === 'session'
                ? 'This operation needs a session (log in); API keys may not do it'
                : `This API key lacks the scope this operation needs (${spec.scope})`,
        ),
      );
    }
    const agentIds = principal.kind === 'user' ? principal.agentIds : null;
    if (agentIds) {
      const params = (ctx as unknown as { params: Record<string, string> }).params ?? {};
      switch (spec.agentAccess) {
        case 'agent':
          if (!agentIds.includes(params.id!)) throw new NotFoundError('agent');
          break;
        case 'conversation': {
          const conversation = await ctx.state.em.fork().findOne(ConversationEntity, { id: params.id!, userId: principal.userId }, { fields: ['agentId'] });
          if (!conversation?.agentId || !agentIds.includes(conversation.agentId)) throw new NotFoundError('conversation');
          break;
        }
        case 'body': {
          const agentId = (ctx.request.body as { agent_id?: unknown } | undefined)?.agent_id;
          if (typeof agentId !== 'string') refuse(new InsufficientScopeError(null, 'This API key is restricted to some agents: name one of them as agent_id'));
          if (!agentIds.includes(agentId as string)) throw new NotFoundError('agent');
          break;
        }
        case 'filtered':
        case 'any':
          break;
        default:
          refuse(new InsufficientScopeError(null, 'This API key is restricted to some agents; this operation reaches resources of every agent'));
      }
    }
    await next();
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
    if (!spec.isPublic && !spec.scope) throw new Error(`${spec.method.toUpperCase()} ${spec.path} declares no scope`);
    const guards = spec.isPublic ? [validIds(spec)] : [authenticate, validIds(spec), authorize(spec)];
    const stack = [...guards, ...(spec.method === 'post' ? [replayable] : []), handle(spec)];
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

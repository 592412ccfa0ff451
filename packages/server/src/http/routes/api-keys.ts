import { ApiKeyCreatedSchema, ApiKeyCreateParamsSchema, ApiKeySchema, ErrorBodySchema, ListParamsSchema, pageOf } from '@metisai/sdk/schemas';
import { endpoint } from '../endpoint.ts';
import { requestMeta } from '../request-meta.ts';
import type { RouteDeps } from './deps.ts';

export const apiKeyEndpoints = ({ services: { apiKeys } }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/api-keys',
    tag: 'api-keys',
    summary: 'List your API keys (without the keys)',
    scope: 'session',
    query: ListParamsSchema,
    responses: { 200: { description: 'A page of API keys', schema: pageOf(ApiKeySchema) } },
    handler: async (ctx, { query }) => {
      ctx.body = await apiKeys.list(ctx.state.em, ctx.state.principal.userId, query);
    },
  }),
  endpoint({
    method: 'post',
    path: '/api-keys',
    tag: 'api-keys',
    summary:
      'Create an API key for server-to-server use, with its scopes (required) and optionally restricted to some agents; the key is shown only in this answer',
    scope: 'session',
    body: ApiKeyCreateParamsSchema,
    responses: {
      201: { description: 'Created', schema: ApiKeyCreatedSchema },
      404: { description: '`agent_ids` names an agent that is not yours', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = await apiKeys.create(ctx.state.em, ctx.state.principal.userId, body, requestMeta(ctx));
    },
  }),
  endpoint({
    method: 'delete',
    path: '/api-keys/:id',
    tag: 'api-keys',
    summary: 'Revoke an API key: it stops working and its open event streams end, in every server process',
    scope: 'session',
    responses: { 204: { description: 'Revoked' }, 404: { description: 'No such API key', schema: ErrorBodySchema } },
    handler: async (ctx, { params }) => {
      await apiKeys.delete(ctx.state.em, ctx.state.principal.userId, params.id!, requestMeta(ctx));
      ctx.status = 204;
    },
  }),
];

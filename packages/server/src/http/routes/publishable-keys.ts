import {
  EmbedTokenCreateParamsSchema,
  EmbedTokenSchema,
  ErrorBodySchema,
  ListParamsSchema,
  pageOf,
  PublishableKeyCreateParamsSchema,
  PublishableKeySchema,
  PublishableKeyUpdateParamsSchema,
} from '@metisai/sdk/schemas';
import { endpoint } from '../endpoint.ts';
import { requestMeta } from '../request-meta.ts';
import type { RouteDeps } from './deps.ts';

const notFound = { description: 'No such agent or key (or not yours)', schema: ErrorBodySchema };
const stale = 'Visitor tokens of the agent minted before go stale at once (401 `token_stale`) and their open streams end.';

/** `/agents/{id}/publishable-keys` (the owner's embedding keys) and `/agents/{id}/embed-tokens` (tokens an app's backend mints). */
export const publishableKeyEndpoints = ({ services: { publishableKeys, visitors } }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/agents/:id/publishable-keys',
    tag: 'embedding',
    summary: "The agent's publishable keys (public: always shown), newest first",
    scope: 'read',
    agentAccess: 'agent',
    query: ListParamsSchema,
    responses: { 200: { description: 'A page of keys', schema: pageOf(PublishableKeySchema) }, 404: notFound },
    handler: async (ctx, { query, params }) => {
      ctx.body = await publishableKeys.list(ctx.state.em, ctx.state.principal.userId, params.id!, query);
    },
  }),
  endpoint({
    method: 'post',
    path: '/agents/:id/publishable-keys',
    tag: 'embedding',
    summary: 'Create a publishable key (`pk_…`) that web pages on `allowed_origins` use to open visitor sessions with the agent',
    scope: 'manage',
    agentAccess: 'agent',
    body: PublishableKeyCreateParamsSchema,
    responses: { 201: { description: 'Created', schema: PublishableKeySchema }, 404: notFound },
    handler: async (ctx, { body, params }) => {
      ctx.status = 201;
      ctx.body = await publishableKeys.create(ctx.state.em, ctx.state.principal.userId, params.id!, body.allowed_origins, requestMeta(ctx));
    },
  }),
  endpoint({
    method: 'get',
    path: '/agents/:id/publishable-keys/:key_id',
    tag: 'embedding',
    summary: 'Get a publishable key',
    scope: 'read',
    agentAccess: 'agent',
    responses: { 200: { description: 'The key', schema: PublishableKeySchema }, 404: notFound },
    handler: async (ctx, { params }) => {
      ctx.body = await publishableKeys.get(ctx.state.em, ctx.state.principal.userId, params.id!, params.key_id!);
    },
  }),
  endpoint({
    method: 'put',
    path: '/agents/:id/publishable-keys/:key_id',
    tag: 'embedding',
    summary: `Replace a publishable key's allowed origins. ${stale}`,
    scope: 'manage',
    agentAccess: 'agent',
    body: PublishableKeyUpdateParamsSchema,
    responses: { 200: { description: 'Updated', schema: PublishableKeySchema }, 404: notFound },
    handler: async (ctx, { body, params }) => {
      ctx.body = await publishableKeys.update(ctx.state.em, ctx.state.principal.userId, params.id!, params.key_id!, body.allowed_origins, requestMeta(ctx));
    },
  }),
  endpoint({
    method: 'post',
    path: '/agents/:id/publishable-keys/:key_id/rotate',
    tag: 'embedding',
    summary: `Give a publishable key a new value (the old one stops working). ${stale}`,
    scope: 'manage',
    agentAccess: 'agent',
    responses: { 200: { description: 'Rotated', schema: PublishableKeySchema }, 404: notFound },
    handler: async (ctx, { params }) => {
      ctx.body = await publishableKeys.rotate(ctx.state.em, ctx.state.principal.userId, params.id!, params.key_id!, requestMeta(ctx));
    },
  }),
  endpoint({
    method: 'delete',
    path: '/agents/:id/publishable-keys/:key_id',
    tag: 'embedding',
    summary: `Revoke a publishable key. ${stale}`,
    scope: 'manage',
    agentAccess: 'agent',
    responses: { 204: { description: 'Revoked' }, 404: notFound },
    handler: async (ctx, { params }) => {
      await publishableKeys.delete(ctx.state.em, ctx.state.principal.userId, params.id!, params.key_id!, requestMeta(ctx));
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'post',
    path: '/agents/:id/embed-tokens',
    tag: 'embedding',
    summary:
      "Mint a visitor token for one of your app's users (`user_ref`: the same one is the same visitor), valid from `origin` (an origin of the agent's publishable keys) for `ttl` seconds (60 s – 24 h); for app backends, with an API key of scope `embed:mint`",
    scope: 'embed:mint',
    agentAccess: 'agent',
    body: EmbedTokenCreateParamsSchema,
    responses: {
      201: { description: 'Minted', schema: EmbedTokenSchema },
      403: {
        description: 'Embedding is off (`embed_disabled`), or no publishable key of the agent allows `origin` (`origin_not_allowed`)',
        schema: ErrorBodySchema,
      },
      404: notFound,
    },
    handler: async (ctx, { body, params }) => {
      ctx.status = 201;
      ctx.body = await visitors.mintToken(ctx.state.em, ctx.state.principal.userId, params.id!, body, ctx.state.log);
    },
  }),
];

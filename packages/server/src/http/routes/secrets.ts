import { ErrorBodySchema, ListParamsSchema, pageOf, SecretCreateParamsSchema, SecretSchema, SecretUpdateParamsSchema } from '@metisai/sdk/schemas';
import { endpoint } from '../endpoint.ts';
import type { RouteDeps } from './deps.ts';

export const secretEndpoints = ({ services: { secrets } }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/secrets',
    tag: 'secrets',
    summary: 'List your secrets (names only; values are never returned)',
    scope: 'read',
    query: ListParamsSchema,
    responses: { 200: { description: 'A page of secrets', schema: pageOf(SecretSchema) } },
    handler: async (ctx, { query }) => {
      ctx.body = await secrets.list(ctx.state.em, ctx.state.principal.userId, query);
    },
  }),
  endpoint({
    method: 'post',
    path: '/secrets',
    tag: 'secrets',
    summary: 'Store a secret, encrypted at rest; agents get it as an environment variable',
    scope: 'manage',
    body: SecretCreateParamsSchema,
    responses: {
      201: { description: 'Stored', schema: SecretSchema },
      409: { description: 'A secret with this name exists', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = await secrets.create(ctx.state.em, ctx.state.principal.userId, body);
    },
  }),
  endpoint({
    method: 'put',
    path: '/secrets/:id',
    tag: 'secrets',
    summary: 'Replace a secret’s value (and its description when given); agents get the new value in the sandboxes they start next',
    scope: 'manage',
    body: SecretUpdateParamsSchema,
    responses: { 200: { description: 'Replaced', schema: SecretSchema }, 404: { description: 'No such secret', schema: ErrorBodySchema } },
    handler: async (ctx, { body, params }) => {
      ctx.body = await secrets.update(ctx.state.em, ctx.state.principal.userId, params.id!, body);
    },
  }),
  endpoint({
    method: 'delete',
    path: '/secrets/:id',
    tag: 'secrets',
    summary: 'Delete a secret',
    scope: 'manage',
    responses: { 204: { description: 'Deleted' }, 404: { description: 'No such secret', schema: ErrorBodySchema } },
    handler: async (ctx, { params }) => {
      await secrets.delete(ctx.state.em, ctx.state.principal.userId, params.id!);
      ctx.status = 204;
    },
  }),
];

import {
  ApiKeyCreatedSchema,
  ApiKeyCreateParamsSchema,
  ApiKeySchema,
  ErrorBodySchema,
  ListParamsSchema,
  LlmTestParamsSchema,
  LlmTestResultSchema,
  pageOf,
  SecretCreateParamsSchema,
  SecretSchema,
  SettingsSchema,
  SettingsUpdateParamsSchema,
} from '@metisai/sdk/schemas';
import { endpoint } from '../endpoint.ts';
import type { RouteDeps } from './deps.ts';
import { llmOrBadRequest } from '../../runtime/run-settings.ts';
import { testLlm } from '../../runtime/llm-test.ts';

export const settingsEndpoints = ({ services, config }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/settings',
    tag: 'settings',
    summary: 'Your defaults for agents (the LLM API key is never shown)',
    responses: { 200: { description: 'Settings', schema: SettingsSchema } },
    handler: async (ctx) => {
      ctx.body = await services.settings.get(ctx.state.em, ctx.state.principal.userId);
    },
  }),
  endpoint({
    method: 'put',
    path: '/settings',
    tag: 'settings',
    summary: 'Change settings: only given fields change; null clears one',
    body: SettingsUpdateParamsSchema,
    responses: { 200: { description: 'Settings', schema: SettingsSchema } },
    handler: async (ctx, { body }) => {
      ctx.body = await services.settings.update(ctx.state.em, ctx.state.principal.userId, body);
    },
  }),
  endpoint({
    method: 'post',
    path: '/settings/llm-test',
    tag: 'settings',
    summary: 'Make a one-token call to your configured LLM endpoint (fields in the body override the saved ones) and report the result',
    body: LlmTestParamsSchema,
    responses: {
      200: { description: 'The outcome: `ok`, or the provider complaint', schema: LlmTestResultSchema },
      400: { description: 'No model or base URL configured (`llm_not_configured`)', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body }) => {
      ctx.body = await testLlm(await llmOrBadRequest({ config, ...services }, ctx.state.em, ctx.state.principal.userId, null, body));
    },
  }),
];

export const secretEndpoints = ({ services: { secrets } }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/secrets',
    tag: 'secrets',
    summary: 'List your secrets (names only; values are never returned)',
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
    method: 'delete',
    path: '/secrets/:id',
    tag: 'secrets',
    summary: 'Delete a secret',
    responses: { 204: { description: 'Deleted' }, 404: { description: 'No such secret', schema: ErrorBodySchema } },
    handler: async (ctx, { params }) => {
      await secrets.delete(ctx.state.em, ctx.state.principal.userId, params.id!);
      ctx.status = 204;
    },
  }),
];

export const apiKeyEndpoints = ({ services: { apiKeys } }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/api-keys',
    tag: 'api-keys',
    summary: 'List your API keys (without the keys)',
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
    summary: 'Create a long-lived API key for server-to-server use; the key is shown only in this answer',
    body: ApiKeyCreateParamsSchema,
    responses: { 201: { description: 'Created', schema: ApiKeyCreatedSchema } },
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = await apiKeys.create(ctx.state.em, ctx.state.principal.userId, body);
    },
  }),
  endpoint({
    method: 'delete',
    path: '/api-keys/:id',
    tag: 'api-keys',
    summary: 'Revoke an API key',
    responses: { 204: { description: 'Revoked' }, 404: { description: 'No such API key', schema: ErrorBodySchema } },
    handler: async (ctx, { params }) => {
      await apiKeys.delete(ctx.state.em, ctx.state.principal.userId, params.id!);
      ctx.status = 204;
    },
  }),
];

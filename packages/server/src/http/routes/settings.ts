import { ErrorBodySchema, LlmTestParamsSchema, LlmTestResultSchema, SettingsSchema, SettingsUpdateParamsSchema } from '@metisai/sdk/schemas';
import { endpoint } from '../endpoint.ts';
import type { RouteDeps } from './deps.ts';

export const settingsEndpoints = ({ services }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/settings',
    tag: 'settings',
    summary: 'Your defaults for agents (the LLM API key is never shown)',
    scope: 'read',
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
    scope: 'manage',
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
    scope: 'read',
    body: LlmTestParamsSchema,
    responses: {
      200: { description: 'The outcome: `ok`, or the provider complaint', schema: LlmTestResultSchema },
      400: { description: 'No model or base URL configured (`llm_not_configured`)', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body }) => {
      ctx.body = await services.llmTest.test(ctx.state.em, ctx.state.principal.userId, null, body);
    },
  }),
];

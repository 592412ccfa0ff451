import { UsageListParamsSchema, UsageListSchema } from '@metisai/sdk/schemas';
import { userPrincipal } from '../../security/principal.ts';
import { endpoint } from '../endpoint.ts';
import type { RouteDeps } from './deps.ts';

export const usageEndpoints = ({ services: { usage } }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/usage',
    tag: 'usage',
    summary:
      'Tokens your conversations used per day over the last `days` days (default 14, today included; every day listed), ' +
      'days counted in the time zone `tz` (IANA, default UTC), from the stored LLM calls',
    scope: 'read',
    agentAccess: 'filtered',
    query: UsageListParamsSchema,
    responses: { 200: { description: 'Usage per day, oldest first', schema: UsageListSchema } },
    handler: async (ctx, { query }) => {
      const principal = ctx.state.principal;
      ctx.body = await usage.daily(ctx.state.em, principal.userId, { days: query.days, timeZone: query.tz, agentIds: userPrincipal(principal).agentIds });
    },
  }),
];

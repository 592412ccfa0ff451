import { ApprovalSchema, ListParamsSchema, pageOf } from '@metisai/sdk/schemas';
import { userPrincipal } from '../../security/principal.ts';
import { endpoint } from '../endpoint.ts';
import type { RouteDeps } from './deps.ts';

export const approvalEndpoints = ({ services: { conversations } }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/approvals',
    tag: 'approvals',
    summary:
      'Actions waiting for your approval: for each of your conversations in `awaiting_confirmation` (newest first), the ' +
      'action it waits on; answer with `POST /conversations/{id}/confirm`',
    scope: 'read',
    agentAccess: 'filtered',
    query: ListParamsSchema,
    responses: { 200: { description: 'A page of waiting actions with their conversations', schema: pageOf(ApprovalSchema) } },
    handler: async (ctx, { query }) => {
      ctx.body = await conversations.listApprovals(ctx.state.em, ctx.state.principal.userId, query, userPrincipal(ctx.state.principal).agentIds);
    },
  }),
];

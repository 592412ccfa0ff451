import {
  AgentCreateParamsSchema,
  AgentSchema,
  AgentStatusResponseSchema,
  AgentUpdateParamsSchema,
  ErrorBodySchema,
  ListParamsSchema,
  LlmTestResultSchema,
  pageOf,
} from '@metisai/sdk/schemas';
import { endpoint } from '../endpoint.ts';
import type { RouteDeps } from './deps.ts';
import { toAgentJson } from '../../services/agents.ts';
import { userPrincipal } from '../../security/principal.ts';

const notFound = { description: 'No such agent (or not yours)', schema: ErrorBodySchema };
const invalidTransition = { description: 'Not allowed from the current status (`invalid_transition`, with `current_status`)', schema: ErrorBodySchema };

export const agentEndpoints = ({ services }: RouteDeps) => {
  const { agents } = services;
  return [
    endpoint({
      method: 'get',
      path: '/agents',
      tag: 'agents',
      summary: 'List your agents, newest first',
      scope: 'read',
      agentAccess: 'filtered',
      query: ListParamsSchema,
      responses: { 200: { description: 'A page of agents', schema: pageOf(AgentSchema) } },
      handler: async (ctx, { query }) => {
        ctx.body = await agents.list(ctx.state.em, ctx.state.principal.userId, query, userPrincipal(ctx.state.principal).agentIds);
      },
    }),
    endpoint({
      method: 'post',
      path: '/agents',
      tag: 'agents',
      summary: 'Create an agent (stopped)',
      scope: 'manage',
      body: AgentCreateParamsSchema,
      responses: {
        201: { description: 'Created', schema: AgentSchema },
        429: { description: 'A quota (`quota_exceeded`): agents, `warm_pool_size` or `idle_timeout_seconds`', schema: ErrorBodySchema },
      },
      handler: async (ctx, { body }) => {
        ctx.status = 201;
        ctx.body = await agents.create(ctx.state.em, ctx.state.principal.userId, body);
      },
    }),
    endpoint({
      method: 'get',
      path: '/agents/:id',
      tag: 'agents',
      summary: 'Get an agent',
      scope: 'read',
      agentAccess: 'agent',
      responses: { 200: { description: 'The agent', schema: AgentSchema }, 404: notFound },
      handler: async (ctx, { params }) => {
        ctx.body = toAgentJson(await agents.getOwned(ctx.state.em, ctx.state.principal.userId, params.id!));
      },
    }),
    endpoint({
      method: 'put',
      path: '/agents/:id',
      tag: 'agents',
      summary: 'Update an agent: only given fields change; a given config replaces the old one whole',
      scope: 'manage',
      agentAccess: 'agent',
      body: AgentUpdateParamsSchema,
      responses: { 200: { description: 'Updated', schema: AgentSchema }, 404: notFound },
      handler: async (ctx, { body, params }) => {
        ctx.body = await agents.update(ctx.state.em, ctx.state.principal.userId, params.id!, body);
      },
    }),
    endpoint({
      method: 'delete',
      path: '/agents/:id',
      tag: 'agents',
      summary: 'Stop and delete an agent; its conversations stay readable and refuse new messages',
      scope: 'manage',
      agentAccess: 'agent',
      responses: { 204: { description: 'Deleted' }, 404: notFound },
      handler: async (ctx, { params }) => {
        await agents.delete(ctx.state.em, ctx.state.principal.userId, params.id!);
        ctx.status = 204;
      },
    }),
    endpoint({
      method: 'post',
      path: '/agents/:id/start',
      tag: 'agents',
      summary: 'Start an agent (from stopped or error); answers `starting` and finishes in the background',
      scope: 'manage',
      agentAccess: 'agent',
      responses: { 202: { description: 'Starting', schema: AgentStatusResponseSchema }, 404: notFound, 409: invalidTransition },
      handler: async (ctx, { params }) => {
        ctx.status = 202;
        ctx.body = await agents.start(ctx.state.em, ctx.state.principal.userId, params.id!);
      },
    }),
    endpoint({
      method: 'post',
      path: '/agents/:id/stop',
      tag: 'agents',
      summary: 'Stop an agent (from starting, running or error); answers `stopping` and finishes in the background',
      scope: 'manage',
      agentAccess: 'agent',
      responses: { 202: { description: 'Stopping', schema: AgentStatusResponseSchema }, 404: notFound, 409: invalidTransition },
      handler: async (ctx, { params }) => {
        ctx.status = 202;
        ctx.body = await agents.stop(ctx.state.em, ctx.state.principal.userId, params.id!);
      },
    }),
    endpoint({
      method: 'post',
      path: '/agents/:id/llm-test',
      tag: 'agents',
      summary: "Make a one-token call to the agent's LLM endpoint (its config, then your settings, then the server's) and report the result",
      scope: 'read',
      agentAccess: 'agent',
      responses: {
        200: { description: 'The outcome: `ok`, or the provider complaint', schema: LlmTestResultSchema },
        400: { description: 'No model or base URL configured (`llm_not_configured`)', schema: ErrorBodySchema },
        404: notFound,
      },
      handler: async (ctx, { params }) => {
        const agent = await agents.getOwned(ctx.state.em, ctx.state.principal.userId, params.id!);
        ctx.body = await services.llmTest.test(ctx.state.em, ctx.state.principal.userId, agent.config);
      },
    }),
  ];
};

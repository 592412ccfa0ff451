import {
  ConversationCreateParamsSchema,
  ConversationListParamsSchema,
  ConversationSchema,
  ConversationUpdateParamsSchema,
  ErrorBodySchema,
  EventListParamsSchema,
  EventSchema,
  MessageCreateParamsSchema,
  MessageEventSchema,
  pageOf,
} from '@metisai/sdk/schemas';
import { endpoint } from '../endpoint.ts';
import type { RouteDeps } from './deps.ts';
import { toConversationJson } from '../../services/conversations.ts';

const notFound = { description: 'No such conversation (or not yours)', schema: ErrorBodySchema };

export const conversationEndpoints = ({ services: { conversations } }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/conversations',
    tag: 'conversations',
    summary: 'List your conversations, newest first; `agent_id` filters by agent',
    query: ConversationListParamsSchema,
    responses: { 200: { description: 'A page of conversations', schema: pageOf(ConversationSchema) } },
    handler: async (ctx, { query }) => {
      ctx.body = await conversations.list(ctx.state.em, ctx.state.principal.userId, query);
    },
  }),
  endpoint({
    method: 'post',
    path: '/conversations',
    tag: 'conversations',
    summary: 'Start a conversation, with one of your agents or with your settings',
    body: ConversationCreateParamsSchema,
    responses: {
      201: { description: 'Created', schema: ConversationSchema },
      404: { description: 'No such agent (or not yours)', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = await conversations.create(ctx.state.em, ctx.state.principal.userId, body);
    },
  }),
  endpoint({
    method: 'get',
    path: '/conversations/:id',
    tag: 'conversations',
    summary: 'Get a conversation with its state and token usage',
    responses: { 200: { description: 'The conversation', schema: ConversationSchema }, 404: notFound },
    handler: async (ctx, { params }) => {
      ctx.body = toConversationJson(await conversations.getOwned(ctx.state.em, ctx.state.principal.userId, params.id!));
    },
  }),
  endpoint({
    method: 'put',
    path: '/conversations/:id',
    tag: 'conversations',
    summary: 'Rename a conversation',
    body: ConversationUpdateParamsSchema,
    responses: { 200: { description: 'Renamed', schema: ConversationSchema }, 404: notFound },
    handler: async (ctx, { body, params }) => {
      ctx.body = await conversations.rename(ctx.state.em, ctx.state.principal.userId, params.id!, body.title);
    },
  }),
  endpoint({
    method: 'delete',
    path: '/conversations/:id',
    tag: 'conversations',
    summary: 'Delete a conversation and its events',
    responses: { 204: { description: 'Deleted' }, 404: notFound },
    handler: async (ctx, { params }) => {
      await conversations.delete(ctx.state.em, ctx.state.principal.userId, params.id!);
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'get',
    path: '/conversations/:id/messages',
    tag: 'conversations',
    summary: 'The messages of a conversation in order; `after` is a `seq` (exclusive)',
    query: EventListParamsSchema,
    responses: { 200: { description: 'A page of message events', schema: pageOf(MessageEventSchema) }, 404: notFound },
    handler: async (ctx, { query, params }) => {
      ctx.body = await conversations.listMessages(ctx.state.em, ctx.state.principal.userId, params.id!, query);
    },
  }),
  endpoint({
    method: 'post',
    path: '/conversations/:id/messages',
    tag: 'conversations',
    summary: 'Send a message; answers the stored message event',
    body: MessageCreateParamsSchema,
    responses: {
      202: { description: 'Stored', schema: MessageEventSchema },
      404: notFound,
      409: { description: 'The agent is not running (`agent_not_running`) or was deleted (`agent_deleted`)', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body, params }) => {
      ctx.status = 202;
      ctx.body = await conversations.postMessage(ctx.state.em, ctx.state.principal.userId, params.id!, body.content);
    },
  }),
  endpoint({
    method: 'get',
    path: '/conversations/:id/events',
    tag: 'conversations',
    summary: "A page of the conversation's event log in order; `after` is a `seq` (exclusive)",
    query: EventListParamsSchema,
    responses: { 200: { description: 'A page of events', schema: pageOf(EventSchema) }, 404: notFound },
    handler: async (ctx, { query, params }) => {
      ctx.body = await conversations.listEvents(ctx.state.em, ctx.state.principal.userId, params.id!, query);
    },
  }),
];

import {
  ChangesSchema,
  ConversationSchema,
  EmbedSessionCreateParamsSchema,
  EmbedSessionSchema,
  ErrorBodySchema,
  EventListParamsSchema,
  EventSchema,
  FileEntrySchema,
  FilePathParamsSchema,
  ListParamsSchema,
  MessageCreateParamsSchema,
  MessageEventSchema,
  pageOf,
  StreamEventSchema,
  VisitorConversationCreateParamsSchema,
} from '@metisai/sdk/schemas';
import type { VisitorPrincipal } from '../../security/principal.ts';
import { toConversationJson } from '../../services/conversations.ts';
import type { AppContext } from '../app-state.ts';
import { lastEventId, streamConversation, streamRowExpiry } from '../conversation-stream.ts';
import { endpoint } from '../endpoint.ts';
import { receiveUpload } from '../file-upload.ts';
import { allowEmbedOrigin } from '../middleware/embed-cors.ts';
import type { RouteDeps } from './deps.ts';

const notFound = { description: 'No such conversation of yours', schema: ErrorBodySchema };

/** The visitor behind a `visitor`-scoped route (the router lets no other caller in). */
const visitorOf = (ctx: AppContext): VisitorPrincipal => {
  const principal = ctx.state.principal;
  if (principal.kind !== 'visitor') throw new Error('a user principal reached a visitor route');
  return principal;
};

/** What a visitor may reach: its own conversations with its token's agent (stored under the agent's owner). */
const ownerOf = (ctx: AppContext) => {
  const visitor = visitorOf(ctx);
  return { userId: visitor.userId, visitorId: visitor.visitorId, agentId: visitor.agentId };
};

/**
 * `/embed/…`: what web pages call for their visitors. `POST /embed/sessions` opens a visitor session with a publishable
 * key; the other routes take its token (or one an app's backend minted) from the origin it was minted for, and reach
 * that visitor's conversations with that agent only (another's is a 404).
 */
export const embedEndpoints = (deps: RouteDeps) => {
  const { conversations, visitors, embedQuotas, workspace } = deps.services;
  return [
    endpoint({
      method: 'post',
      path: '/embed/sessions',
      tag: 'embed',
      summary:
        'Open a visitor session with a publishable key, from a page of one of its origins (`Origin` required): a token (≤ 15 min) and the visitor to present next time (`id` and the secret `resume_key`)',
      isPublic: true,
      body: EmbedSessionCreateParamsSchema,
      responses: {
        201: { description: 'Opened', schema: EmbedSessionSchema },
        401: { description: 'Unknown, rotated or revoked publishable key (`invalid_publishable_key`)', schema: ErrorBodySchema },
        403: {
          description: 'No `Origin` (`origin_required`), an origin the key does not allow (`origin_not_allowed`), or embedding off (`embed_disabled`)',
          schema: ErrorBodySchema,
        },
        429: { description: 'Too many new visitors from this IP (`rate_limited`)', schema: ErrorBodySchema },
      },
      handler: async (ctx, { body }) => {
        const origin = ctx.get('Origin');
        const session = await visitors.openSession(ctx.state.em, body.publishable_key, body.visitor, { origin, ip: ctx.ip, log: ctx.state.log });
        allowEmbedOrigin(ctx, origin);
        ctx.status = 201;
        ctx.body = session;
      },
    }),
    endpoint({
      method: 'get',
      path: '/embed/conversations',
      tag: 'embed',
      summary: "The visitor's conversations with the token's agent, newest first",
      scope: 'visitor',
      query: ListParamsSchema,
      responses: { 200: { description: 'A page of conversations', schema: pageOf(ConversationSchema) } },
      handler: async (ctx, { query }) => {
        ctx.body = await conversations.list(ctx.state.em, ownerOf(ctx), query);
      },
    }),
    endpoint({
      method: 'post',
      path: '/embed/conversations',
      tag: 'embed',
      summary: "Start a conversation of the visitor with the token's agent",
      scope: 'visitor',
      body: VisitorConversationCreateParamsSchema,
      responses: { 201: { description: 'Created', schema: ConversationSchema } },
      handler: async (ctx, { body }) => {
        ctx.status = 201;
        ctx.body = await conversations.create(ctx.state.em, ownerOf(ctx), { title: body.title ?? null });
      },
    }),
    endpoint({
      method: 'get',
      path: '/embed/conversations/:id',
      tag: 'embed',
      summary: 'Get one of the visitor’s conversations',
      scope: 'visitor',
      responses: { 200: { description: 'The conversation', schema: ConversationSchema }, 404: notFound },
      handler: async (ctx, { params }) => {
        ctx.body = toConversationJson(await conversations.getOwned(ctx.state.em, ownerOf(ctx), params.id!));
      },
    }),
    endpoint({
      method: 'delete',
      path: '/embed/conversations/:id',
      tag: 'embed',
      summary: 'Delete one of the visitor’s conversations, its events and its sandbox',
      scope: 'visitor',
      responses: { 204: { description: 'Deleted' }, 404: notFound },
      handler: async (ctx, { params }) => {
        await conversations.delete(ctx.state.em, ownerOf(ctx), params.id!);
        ctx.status = 204;
      },
    }),
    endpoint({
      method: 'get',
      path: '/embed/conversations/:id/messages',
      tag: 'embed',
      summary: 'The messages of one of the visitor’s conversations in order; `after` is a `seq` (exclusive)',
      scope: 'visitor',
      query: EventListParamsSchema,
      responses: { 200: { description: 'A page of message events', schema: pageOf(MessageEventSchema) }, 404: notFound },
      handler: async (ctx, { query, params }) => {
        ctx.body = await conversations.listMessages(ctx.state.em, ownerOf(ctx), params.id!, query);
      },
    }),
    endpoint({
      method: 'post',
      path: '/embed/conversations/:id/messages',
      tag: 'embed',
      summary:
        'Send a message, optionally with `attachments` (files uploaded first with `PUT …/files/content`); answers the stored message event. Runs under the agent’s embed policy and counts against its visitor quotas',
      scope: 'visitor',
      body: MessageCreateParamsSchema,
      responses: {
        202: { description: 'Stored', schema: MessageEventSchema },
        400: { description: 'An attachment that is no file of the workspace, naming `attachments.<i>.path`', schema: ErrorBodySchema },
        404: notFound,
        409: { description: 'A run is going (`conversation_busy`), or the agent is not running (`agent_not_running`)', schema: ErrorBodySchema },
        429: {
          description:
            'A visitor quota (`quota_exceeded` with `quota`, `limit`, `current` and `Retry-After`): messages per hour, tokens per UTC day, running sandboxes — the visitor’s or all the agent’s visitors’',
          schema: ErrorBodySchema,
        },
      },
      handler: async (ctx, { body, params }) => {
        const owner = ownerOf(ctx);
        const attachments = body.attachments?.length ? await workspace.describeAttachments(ctx.state.em, owner, params.id!, body.attachments) : undefined;
        ctx.status = 202;
        ctx.body = await conversations.postMessage(ctx.state.em, owner, params.id!, body.content, attachments);
      },
    }),
    endpoint({
      method: 'put',
      path: '/embed/conversations/:id/files/content',
      tag: 'embed',
      summary:
        'Upload one file into the workspace of one of the visitor’s conversations (as `PUT /conversations/{id}/files/content`), e.g. to attach it to a message; its sandbox, created when it has none, counts against the visitor’s sandbox quotas',
      scope: 'visitor',
      query: FilePathParamsSchema,
      rawBody: {
        contentType: 'application/octet-stream',
        description: "The file's bytes, any type; `Content-Length` is required (at most UPLOAD_LIMIT_BYTES)",
      },
      responses: {
        200: { description: 'An existing file was replaced', schema: FileEntrySchema },
        201: { description: 'Created', schema: FileEntrySchema },
        400: { description: '`invalid_path` (outside the workspace), `is_a_directory` or `validation_error`, naming the field', schema: ErrorBodySchema },
        404: notFound,
        411: { description: '`length_required`: no `Content-Length`', schema: ErrorBodySchema },
        413: { description: '`payload_too_large`, with `limit_bytes`', schema: ErrorBodySchema },
        429: { description: 'The visitor’s (or the agent’s visitors’) running sandboxes at their limit (`quota_exceeded`)', schema: ErrorBodySchema },
      },
      handler: async (ctx, { query, params }) => {
        await receiveUpload(ctx, workspace, ownerOf(ctx), params.id!, query.path, deps.config.uploadLimitBytes);
      },
    }),
    endpoint({
      method: 'get',
      path: '/embed/conversations/:id/changes',
      tag: 'embed',
      summary:
        "Files added, modified and deleted in one of the visitor's conversations since its baseline, each with a unified diff (as `GET /conversations/{id}/changes`)",
      scope: 'visitor',
      responses: { 200: { description: 'The changes', schema: ChangesSchema }, 404: notFound },
      handler: async (ctx, { params }) => {
        ctx.body = await workspace.changes(ctx.state.em, ownerOf(ctx), params.id!);
      },
    }),
    endpoint({
      method: 'get',
      path: '/embed/conversations/:id/events',
      tag: 'embed',
      summary:
        "The conversation's event log, or with `Accept: text/event-stream` its live stream (as `GET /conversations/{id}/events`): a stream opened mid-answer first gets a `catch_up` event per message or command in flight; it ends with `stream_end` `token_stale` when the agent's embed policy changes",
      scope: 'visitor',
      query: EventListParamsSchema,
      responses: {
        200: {
          description: 'A page of events, or the event stream',
          schema: pageOf(EventSchema),
          alternatives: [{ contentType: 'text/event-stream', schema: StreamEventSchema }],
        },
        404: notFound,
        429: { description: 'Too many open streams of this visitor (`quota_exceeded`, quota `visitor_streams`)', schema: ErrorBodySchema },
      },
      handler: async (ctx, { query, params }) => {
        const owner = ownerOf(ctx);
        if (ctx.method !== 'GET' || ctx.accepts('application/json', 'text/event-stream') !== 'text/event-stream') {
          ctx.body = await conversations.listEvents(ctx.state.em, owner, params.id!, query);
          return;
        }
        const after = lastEventId(ctx.get('Last-Event-ID')) ?? query.after ?? 0;
        await conversations.getOwned(ctx.state.em, owner, params.id!);
        const visitor = visitorOf(ctx);
        await streamConversation(ctx, deps, {
          conversationId: params.id!,
          after,
          openQuotaRow: (em) => embedQuotas.openVisitorStream(em, visitor.userId, visitor.visitorId, streamRowExpiry(deps)),
          isStillAuthorized: (em) => visitors.isCurrent(em, visitor),
        });
      },
    }),
    endpoint({
      method: 'post',
      path: '/embed/conversations/:id/stop',
      tag: 'embed',
      summary: 'Stop the running agent of one of the visitor’s conversations',
      scope: 'visitor',
      responses: {
        202: { description: 'Stopping', schema: ConversationSchema },
        404: notFound,
        409: { description: 'Nothing is running (`conversation_not_running`)', schema: ErrorBodySchema },
      },
      handler: async (ctx, { params }) => {
        ctx.status = 202;
        ctx.body = await conversations.stop(ctx.state.em, ownerOf(ctx), params.id!);
      },
    }),
  ];
};

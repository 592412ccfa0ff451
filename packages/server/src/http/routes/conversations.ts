import {
  ConfirmParamsSchema,
  ConversationExportSchema,
  ConversationImportParamsSchema,
  ConversationImportQuerySchema,
  ConversationCreateParamsSchema,
  ConversationForkParamsSchema,
  ConversationListParamsSchema,
  ConversationSchema,
  ConversationUpdateParamsSchema,
  ErrorBodySchema,
  EventListParamsSchema,
  EventSchema,
  MessageCreateParamsSchema,
  MessageEventSchema,
  pageOf,
  SnapshotPruneParamsSchema,
  StreamEventSchema,
} from '@metisai/sdk/schemas';
import { lastEventId, streamConversation, streamRowExpiry } from '../conversation-stream.ts';
import { endpoint } from '../endpoint.ts';
import type { RouteDeps } from './deps.ts';
import { toConversationJson } from '../../services/conversations.ts';
import { userPrincipal } from '../../security/principal.ts';

const notFound = { description: 'No such conversation (or not yours)', schema: ErrorBodySchema };

export const conversationEndpoints = (deps: RouteDeps) => {
  const { conversations, quotas, auth, apiKeys, transfer, workspace, fork } = deps.services;
  return [
    endpoint({
      method: 'get',
      path: '/conversations',
      tag: 'conversations',
      summary:
        "List your conversations, newest first (your agents' visitors' included); `agent_id`, `visitor_id`, `visitors` (`only`: visitors' conversations, `none`: your own), `state` and `q` (words of the title) filter",
      scope: 'read',
      agentAccess: 'filtered',
      query: ConversationListParamsSchema,
      responses: { 200: { description: 'A page of conversations', schema: pageOf(ConversationSchema) } },
      handler: async (ctx, { query }) => {
        ctx.body = await conversations.list(ctx.state.em, ctx.state.principal.userId, query, userPrincipal(ctx.state.principal).agentIds);
      },
    }),
    endpoint({
      method: 'post',
      path: '/conversations',
      tag: 'conversations',
      summary:
        'Start a conversation, with one of your agents or with your settings; with `repository`, the server clones it into the workspace first ' +
        '(`state: running`, reason `waiting_for_workspace`; `workspace` events show the progress)',
      scope: 'run',
      agentAccess: 'body',
      body: ConversationCreateParamsSchema,
      responses: {
        201: { description: 'Created', schema: ConversationSchema },
        400: {
          description:
            '`validation_error` or `egress_refused` naming the field: a repository URL with credentials, a query, a scheme other than https ' +
            '(http only for hosts this server allows) or an address the server does not connect to; a `token_secret` naming no secret of yours',
          schema: ErrorBodySchema,
        },
        404: { description: 'No such agent (or not yours)', schema: ErrorBodySchema },
        429: { description: 'A quota (`quota_exceeded`): a clone counts as a running conversation', schema: ErrorBodySchema },
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
      scope: 'read',
      agentAccess: 'conversation',
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
      scope: 'run',
      agentAccess: 'conversation',
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
      scope: 'run',
      agentAccess: 'conversation',
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
      scope: 'read',
      agentAccess: 'conversation',
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
      summary:
        'Send a message, optionally pointing the agent to files of the workspace (`attachments`, uploaded first with `PUT …/files/content`); answers the stored message event',
      scope: 'run',
      agentAccess: 'conversation',
      body: MessageCreateParamsSchema,
      responses: {
        202: { description: 'Stored', schema: MessageEventSchema },
        400: {
          description: 'An attachment that is no file of the workspace (`validation_error` or `invalid_path`, naming `attachments.<i>.path`)',
          schema: ErrorBodySchema,
        },
        404: notFound,
        409: { description: 'The agent is not running (`agent_not_running`) or was deleted (`agent_deleted`)', schema: ErrorBodySchema },
        429: {
          description: 'A quota (`quota_exceeded`): concurrent runs, events per conversation, or the measured workspace size',
          schema: ErrorBodySchema,
        },
      },
      handler: async (ctx, { body, params }) => {
        const userId = ctx.state.principal.userId;
        const attachments = body.attachments?.length ? await workspace.describeAttachments(ctx.state.em, userId, params.id!, body.attachments) : undefined;
        ctx.status = 202;
        ctx.body = await conversations.postMessage(ctx.state.em, userId, params.id!, body.content, attachments);
      },
    }),
    endpoint({
      method: 'get',
      path: '/conversations/:id/events',
      tag: 'conversations',
      summary:
        "The conversation's event log in order; `after` is a `seq` (exclusive). With `Accept: text/event-stream`: " +
        'server-sent events, the log from `Last-Event-ID` (else `after`) then live, with `delta` events and `: ping` heartbeats; ' +
        'the server ends a stream with `stream_end` (`token_revoked`, `token_expired`, or `stream_max_age`: reconnect)',
      scope: 'read',
      agentAccess: 'conversation',
      query: EventListParamsSchema,
      responses: {
        200: {
          description: 'A page of events, or the event stream (`id:` is the `seq`, `event:` the type, `data:` the event; deltas have no `id:`)',
          schema: pageOf(EventSchema),
          alternatives: [{ contentType: 'text/event-stream', schema: StreamEventSchema }],
        },
        404: notFound,
        429: { description: 'Too many open streams (`quota_exceeded`, quota `streams`)', schema: ErrorBodySchema },
      },
      handler: async (ctx, { query, params }) => {
        const userId = ctx.state.principal.userId;
        if (ctx.method !== 'GET' || ctx.accepts('application/json', 'text/event-stream') !== 'text/event-stream') {
          ctx.body = await conversations.listEvents(ctx.state.em, userId, params.id!, query);
          return;
        }
        const after = lastEventId(ctx.get('Last-Event-ID')) ?? query.after ?? 0;
        // Every refusal (404 and 429 included) is an ordinary JSON error: the stream has not started yet.
        await conversations.getOwned(ctx.state.em, userId, params.id!);
        const principal = userPrincipal(ctx.state.principal);
        await streamConversation(ctx, deps, {
          conversationId: params.id!,
          after,
          openQuotaRow: (em) => quotas.openStream(em, userId, streamRowExpiry(deps)),
          isStillAuthorized: async (em) =>
            principal.sessionId ? auth.isSessionActive(em, principal.sessionId, userId) : await apiKeys.isLive(em, principal.apiKeyId!),
        });
      },
    }),
    endpoint({
      method: 'post',
      path: '/conversations/:id/stop',
      tag: 'conversations',
      summary: 'Stop the running agent: aborts the LLM request and interrupts the running command (in whichever server process runs it)',
      scope: 'run',
      agentAccess: 'conversation',
      responses: {
        202: { description: 'Stopping; the run ends with a `state` event `stopped`/`user_stop`', schema: ConversationSchema },
        404: notFound,
        409: { description: 'Nothing is running (`conversation_not_running`)', schema: ErrorBodySchema },
      },
      handler: async (ctx, { params }) => {
        ctx.status = 202;
        ctx.body = await conversations.stop(ctx.state.em, ctx.state.principal.userId, params.id!);
      },
    }),
    endpoint({
      method: 'post',
      path: '/conversations/:id/confirm',
      tag: 'conversations',
      summary: 'Approve or reject the action a conversation in `awaiting_confirmation` waits on; the run resumes',
      scope: 'run',
      agentAccess: 'conversation',
      body: ConfirmParamsSchema,
      responses: {
        202: { description: 'Resumed', schema: ConversationSchema },
        404: notFound,
        409: { description: 'Nothing awaits confirmation (`not_awaiting_confirmation`), or a run is going (`conversation_busy`)', schema: ErrorBodySchema },
      },
      handler: async (ctx, { body, params }) => {
        ctx.status = 202;
        ctx.body = await conversations.confirm(ctx.state.em, ctx.state.principal.userId, params.id!, body.approve);
      },
    }),
    endpoint({
      method: 'post',
      path: '/conversations/:id/fork',
      tag: 'conversations',
      summary:
        'Fork the conversation at a step: a new conversation (same agent, `forked_from`) with copies of the events up to `at_seq` ' +
        '(new ids, same `seq`s) and the workspace exactly as it was then; it starts `idle`. Default `at_seq`: the last completed ' +
        'step; a `seq` inside a step (an action without its observation) snaps back to the last completed one. A running ' +
        'conversation is forked at its last completed step without disturbing the run; the original is untouched',
      scope: 'run',
      agentAccess: 'conversation',
      body: ConversationForkParamsSchema,
      responses: {
        201: { description: 'The fork', schema: ConversationSchema },
        400: { description: "`at_seq` beyond the conversation's `last_seq` (`validation_error` naming `at_seq`)", schema: ErrorBodySchema },
        404: notFound,
        409: {
          description:
            'The workspace at that step is not kept (`snapshot_unavailable`: pruned, or not recorded), or a running ' +
            "conversation's snapshot of it is not stored yet (`conversation_busy`, retry)",
          schema: ErrorBodySchema,
        },
      },
      handler: async (ctx, { body, params }) => {
        ctx.status = 201;
        ctx.body = await fork.fork(ctx.state.em, ctx.state.principal.userId, params.id!, body.at_seq);
      },
    }),
    endpoint({
      method: 'delete',
      path: '/conversations/:id/snapshots',
      tag: 'conversations',
      summary:
        "Prune the conversation's workspace snapshots before `before_seq` (the one still in force at `before_seq` is kept): " +
        'their bytes leave your workspace quota, and forks at a step before `before_seq` are refused (`snapshot_unavailable`) from then on',
      scope: 'run',
      agentAccess: 'conversation',
      query: SnapshotPruneParamsSchema,
      responses: {
        204: { description: 'Pruned' },
        400: { description: '`before_seq` missing or not a whole number ≥ 1', schema: ErrorBodySchema },
        404: notFound,
      },
      handler: async (ctx, { query, params }) => {
        await fork.prune(ctx.state.em, ctx.state.principal.userId, params.id!, query.before_seq);
        ctx.status = 204;
      },
    }),
    endpoint({
      method: 'get',
      path: '/conversations/:id/export',
      tag: 'conversations',
      scope: 'read',
      agentAccess: 'conversation',
      summary: 'The conversation and all its stored events as a versioned document (`format: metisai.conversation/1`; secrets masked)',
      responses: { 200: { description: 'The export document', schema: ConversationExportSchema }, 404: notFound },
      handler: async (ctx, { params }) => {
        ctx.body = await transfer.export(ctx.state.em, ctx.state.principal.userId, params.id!);
      },
    }),
    endpoint({
      method: 'post',
      path: '/conversations/import',
      tag: 'conversations',
      scope: 'run',
      summary:
        'Import an export document as a new conversation of yours: its agent is kept when it is yours, else none unless `agent_id` names one of yours; a log left `running` ends `interrupted`',
      body: ConversationImportParamsSchema,
      bodyLimitBytes: deps.config.importLimitBytes,
      query: ConversationImportQuerySchema,
      responses: {
        201: { description: 'The new conversation', schema: ConversationSchema },
        400: { description: 'Not an export document: `validation_error` naming the field', schema: ErrorBodySchema },
        404: { description: '`agent_id` names no agent of yours', schema: ErrorBodySchema },
        413: { description: 'Larger than IMPORT_LIMIT_BYTES (`limit_bytes` says how large may be)', schema: ErrorBodySchema },
      },
      handler: async (ctx, { body, query }) => {
        ctx.status = 201;
        ctx.body = await transfer.import(ctx.state.em, ctx.state.principal.userId, body, query.agent_id);
      },
    }),
  ];
};

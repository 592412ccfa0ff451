import * as z from 'zod/mini';
import { IdSchema, TimestampSchema } from './common.ts';
import { ConversationSchema } from './conversation.ts';
import {
  ConversationStateSchema,
  EventErrorCodeSchema,
  EventResponseSchema,
  FINISH_REASONS,
  MessageRoleSchema,
  REASONING_FIELDS,
  StateReasonSchema,
  WORKSPACE_EVENT_FIELDS,
  WORKSPACE_PHASES,
} from './event.ts';
import { ChangedFileSchema, WorkspaceFileSchema } from './workspace.ts';

/** `format` of a conversation export; a later layout gets a new number. */
export const CONVERSATION_EXPORT_FORMAT = 'metisai.conversation/1';

/**
 * `GET /conversations/{id}/export`: the conversation and every stored event, in `seq` order, as the API shows them
 * (secret values already masked). `POST /conversations/import` takes it back.
 */
export const ConversationExportSchema = z.object({
  format: z.literal(CONVERSATION_EXPORT_FORMAT),
  exported_at: TimestampSchema,
  /** Version of the server that exported it. */
  server_version: z.string(),
  conversation: ConversationSchema,
  events: z.array(EventResponseSchema),
});
export type ConversationExport = z.infer<typeof ConversationExportSchema>;

const when = { created_at: z.optional(TimestampSchema) };
const text = z.string().check(z.maxLength(10_000_000));

/**
 * An event of an import: the stored fields (`id`, `seq`, `conversation_id`) are assigned anew, `created_at` is kept
 * when given; unknown fields are dropped. Only the event types and values this server writes are taken.
 */
const ImportedEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...when,
    type: z.literal('message'),
    role: MessageRoleSchema,
    content: text,
    finish_reason: z.optional(z.nullable(z.enum(FINISH_REASONS))),
    reasoning_content: z.optional(text),
    reasoning_field: z.optional(z.enum(REASONING_FIELDS)),
    provider_fields: z.optional(z.record(z.string(), z.unknown())),
    attachments: z.optional(z.array(WorkspaceFileSchema)),
  }),
  z.object({
    ...when,
    type: z.literal('action'),
    tool_call_id: z.string(),
    tool: z.string(),
    args: z.record(z.string(), z.unknown()),
    provider_tool_call_id: z.optional(z.nullable(z.string())),
    provider_fields: z.optional(z.record(z.string(), z.unknown())),
  }),
  z.object({
    ...when,
    type: z.literal('observation'),
    tool_call_id: z.string(),
    content: text,
    exit_code: z.optional(z.nullable(z.number().check(z.int()))),
    diff: z.optional(text),
    changed_files: z.optional(z.array(ChangedFileSchema)),
    changed_files_truncated: z.optional(z.boolean()),
  }),
  z.object({ ...when, type: z.literal('state'), state: ConversationStateSchema, reason: z.optional(z.nullable(StateReasonSchema)) }),
  z.object({ ...when, type: z.literal('error'), code: EventErrorCodeSchema, message: text }),
  z.object({
    ...when,
    type: z.literal('workspace'),
    phase: z.enum(WORKSPACE_PHASES),
    ...WORKSPACE_EVENT_FIELDS,
  }),
]);

/**
 * Body of `POST /conversations/import`: a document of `GET …/export` (its own size limit, `IMPORT_LIMIT_BYTES`).
 * Fields beyond these are ignored, so an export edited by hand or written by a newer server of the same format imports.
 */
export const ConversationImportParamsSchema = z.object({
  format: z.literal(CONVERSATION_EXPORT_FORMAT, `must be "${CONVERSATION_EXPORT_FORMAT}" (a document of GET /conversations/{id}/export)`),
  conversation: z.object({
    agent_id: z.optional(z.nullable(IdSchema)),
    title: z.optional(z.nullable(z.string().check(z.trim(), z.maxLength(200)))),
  }),
  events: z.array(ImportedEventSchema).check(z.maxLength(100_000)),
});
export type ConversationImportParams = z.input<typeof ConversationImportParamsSchema>;

/** `?agent_id=` of an import: one of your agents, for a document whose agent is not yours. */
export const ConversationImportQuerySchema = z.strictObject({
  agent_id: z.optional(IdSchema),
});
export type ConversationImportQuery = z.input<typeof ConversationImportQuerySchema>;

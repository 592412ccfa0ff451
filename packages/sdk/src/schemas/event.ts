import * as z from 'zod/mini';
import { IdSchema, openEnum, TimestampSchema } from './common.ts';
import { ChangedFileSchema } from './workspace.ts';

/** Where a conversation's run stands. */
export const CONVERSATION_STATES = ['idle', 'running', 'awaiting_confirmation', 'finished', 'stopped', 'error'] as const;
export const ConversationStateSchema = z.enum(CONVERSATION_STATES);
export type ConversationState = z.infer<typeof ConversationStateSchema>;

/**
 * Why a conversation entered its state (`reason` of a `state` event). A run starts `running` with `null` (a user
 * message), `user_approve` or `user_reject` (a confirmation). It ends:
 * - `idle`: `awaiting_user` (the model answered without a tool call);
 * - `awaiting_confirmation`: `confirmation_required`;
 * - `finished`: `finish` (the model called `finish`);
 * - `stopped`: `user_stop`;
 * - `error`: the code of the error event stored just before it (`interrupted`, `max_iterations`, `stuck`, `llm_auth`,
 *   `llm_error`, `llm_context_length`, `llm_not_configured`, `sandbox_error`, `internal_error`).
 * Newer servers may add reasons: responses accept any string (see `openEnum`).
 */
export const STATE_REASONS = [
  'user_approve',
  'user_reject',
  'awaiting_user',
  'confirmation_required',
  'finish',
  'user_stop',
  'interrupted',
  'max_iterations',
  'stuck',
  'llm_auth',
  'llm_error',
  'llm_context_length',
  'llm_not_configured',
  'sandbox_error',
  'internal_error',
] as const;
export const StateReasonSchema = z.enum(STATE_REASONS);
export type StateReason = z.infer<typeof StateReasonSchema>;

/**
 * Codes of `error` events. Those a run survives: `llm_retry` (a transient LLM failure, retried) and
 * `llm_context_condensed` (the history was too long; older outputs were condensed). Every other code ends the run,
 * and the final `state` event carries it as its `reason`.
 */
export const EVENT_ERROR_CODES = [
  'llm_retry',
  'llm_context_condensed',
  'interrupted',
  'max_iterations',
  'stuck',
  'llm_auth',
  'llm_error',
  'llm_context_length',
  'llm_not_configured',
  'sandbox_error',
  'internal_error',
] as const;
export const EventErrorCodeSchema = z.enum(EVENT_ERROR_CODES);
export type EventErrorCode = z.infer<typeof EventErrorCodeSchema>;

/** Fields every stored event has. `seq` orders a conversation's log (1, 2, 3, …). */
const stored = {
  id: IdSchema,
  seq: z.number().check(z.int(), z.gte(1)),
  conversation_id: IdSchema,
  created_at: TimestampSchema,
};

export const MessageRoleSchema = z.enum(['user', 'assistant']);
export type MessageRole = z.infer<typeof MessageRoleSchema>;

export const MessageEventSchema = z.object({
  ...stored,
  type: z.literal('message'),
  role: MessageRoleSchema,
  content: z.string(),
});
export type MessageEvent = z.infer<typeof MessageEventSchema>;

export const ActionEventSchema = z.object({
  ...stored,
  type: z.literal('action'),
  tool_call_id: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
});
export type ActionEvent = z.infer<typeof ActionEventSchema>;

export const ObservationEventSchema = z.object({
  ...stored,
  type: z.literal('observation'),
  tool_call_id: z.string(),
  content: z.string(),
  exit_code: z.optional(z.nullable(z.number().check(z.int()))),
  /** Of a `str_replace_editor` edit (`create`, `str_replace`, `insert`, `undo_edit`) that changed a file: its unified diff. */
  diff: z.optional(z.string()),
  /**
   * Of an `execute_bash` step that changed the workspace: the files it added, modified or deleted, by path (`.git/` and
   * ignored files left out), at most 100; `changed_files_truncated` says when there were more.
   */
  changed_files: z.optional(z.array(ChangedFileSchema)),
  changed_files_truncated: z.optional(z.boolean()),
});
export type ObservationEvent = z.infer<typeof ObservationEventSchema>;

export const StateEventSchema = z.object({
  ...stored,
  type: z.literal('state'),
  state: openEnum(CONVERSATION_STATES),
  reason: z.optional(z.nullable(openEnum(STATE_REASONS))),
});
export type StateEvent = z.infer<typeof StateEventSchema>;

export const ErrorEventSchema = z.object({
  ...stored,
  type: z.literal('error'),
  code: openEnum(EVENT_ERROR_CODES),
  message: z.string(),
});
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;

/** A stored step of a conversation. */
export const EventSchema = z.discriminatedUnion('type', [MessageEventSchema, ActionEventSchema, ObservationEventSchema, StateEventSchema, ErrorEventSchema]);
export type Event = z.infer<typeof EventSchema>;
export type EventType = Event['type'];

/** Types of stored events this SDK version knows. */
export const STORED_EVENT_TYPES: readonly EventType[] = ['message', 'action', 'observation', 'state', 'error'];

/**
 * A stored event of a type this SDK version does not know (a newer server's): only the fields every stored event has
 * are checked, the rest passes through.
 */
export const UnknownStoredEventSchema = z.looseObject({
  ...stored,
  type: z.string().check(z.refine((type) => !(STORED_EVENT_TYPES as readonly string[]).includes(type), 'is a known event type')),
});

/**
 * How responses listing stored events are checked: known types in full, unknown types (from a newer server) by their
 * common fields only. Typed as `Event` so that `switch (event.type)` narrows; unknown types reach `default:`.
 */
export const EventResponseSchema = z.union([EventSchema, UnknownStoredEventSchema]) as unknown as typeof EventSchema;

/**
 * Ephemeral: a piece of an assistant message while it streams. Never stored, no `seq`.
 * `message_id` is the `id` of the message event stored when the message is complete,
 * so a client can drop the deltas of an attempt that was retried.
 */
export const DeltaEventSchema = z.object({
  type: z.literal('delta'),
  conversation_id: IdSchema,
  message_id: IdSchema,
  content: z.string(),
});
export type DeltaEvent = z.infer<typeof DeltaEventSchema>;

/**
 * Ephemeral: output of a command while it runs (ANSI sequences included, secrets masked). Never stored, no `seq`;
 * the complete output arrives as the `observation` with the same `tool_call_id`.
 */
export const OutputEventSchema = z.object({
  type: z.literal('output'),
  conversation_id: IdSchema,
  tool_call_id: z.string(),
  content: z.string(),
});
export type OutputEvent = z.infer<typeof OutputEventSchema>;

/** What streams live only: never stored, never replayed. */
export const EphemeralEventSchema = z.discriminatedUnion('type', [DeltaEventSchema, OutputEventSchema]);
export type EphemeralEvent = z.infer<typeof EphemeralEventSchema>;

/** Anything a conversation's stream can carry. */
export const StreamEventSchema = z.discriminatedUnion('type', [
  MessageEventSchema,
  ActionEventSchema,
  ObservationEventSchema,
  StateEventSchema,
  ErrorEventSchema,
  DeltaEventSchema,
  OutputEventSchema,
]);
export type StreamEvent = z.infer<typeof StreamEventSchema>;

import * as z from 'zod/mini';
import { IdSchema, TimestampSchema } from './common.ts';

/** Where a conversation's run stands. */
export const ConversationStateSchema = z.enum(['idle', 'running', 'awaiting_confirmation', 'finished', 'stopped', 'error']);
export type ConversationState = z.infer<typeof ConversationStateSchema>;

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
});
export type ObservationEvent = z.infer<typeof ObservationEventSchema>;

export const StateEventSchema = z.object({
  ...stored,
  type: z.literal('state'),
  state: ConversationStateSchema,
  reason: z.optional(z.nullable(z.string())),
});
export type StateEvent = z.infer<typeof StateEventSchema>;

export const ErrorEventSchema = z.object({
  ...stored,
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
});
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;

/** A stored step of a conversation. */
export const EventSchema = z.discriminatedUnion('type', [MessageEventSchema, ActionEventSchema, ObservationEventSchema, StateEventSchema, ErrorEventSchema]);
export type Event = z.infer<typeof EventSchema>;
export type EventType = Event['type'];

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

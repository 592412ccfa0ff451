import * as z from 'zod/mini';
import { IdSchema, openEnum, TimestampSchema } from './common.ts';
import { CONVERSATION_STATES } from './event.ts';

export const UsageSchema = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number(),
  /** LLM calls made; the usage of each one is stored too. */
  llm_calls: z.number(),
});
export type Usage = z.infer<typeof UsageSchema>;

export const ConversationSchema = z.object({
  id: IdSchema,
  agent_id: z.nullable(IdSchema),
  title: z.nullable(z.string()),
  state: openEnum(CONVERSATION_STATES),
  /** `seq` of the last stored event (0 when none): stream with `after: last_seq` to get only what comes next. */
  last_seq: z.number(),
  usage: UsageSchema,
  /**
   * Where a fork came from (`POST …/fork`): the conversation and the `seq` its events and workspace were copied at;
   * `null` for a conversation that is not a fork (absent from servers before forks).
   */
  forked_from: z.optional(z.nullable(z.object({ conversation_id: IdSchema, seq: z.number() }))),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
});
export type Conversation = z.infer<typeof ConversationSchema>;

/**
 * `POST /conversations/{id}/fork`: `at_seq` is the step to fork at (default: the last completed step). A `seq` inside
 * a step (an action without its observation yet) snaps back to the last completed step; beyond `last_seq` is refused.
 */
export const ConversationForkParamsSchema = z.strictObject({
  at_seq: z.optional(z.number().check(z.int(), z.gte(0))),
});
export type ConversationForkParams = z.input<typeof ConversationForkParamsSchema>;

/** `DELETE /conversations/{id}/snapshots?before_seq=`: snapshots needed by no step at or after `before_seq` are deleted. */
export const SnapshotPruneParamsSchema = z.strictObject({
  before_seq: z.coerce.number().check(z.int(), z.gte(1)),
});
export type SnapshotPruneParams = z.input<typeof SnapshotPruneParamsSchema>;

const TitleSchema = z.nullable(z.string().check(z.trim(), z.maxLength(200)));

export const ConversationCreateParamsSchema = z.strictObject({
  agent_id: z.optional(z.nullable(IdSchema)),
  title: z.optional(TitleSchema),
});
export type ConversationCreateParams = z.input<typeof ConversationCreateParamsSchema>;

export const ConversationUpdateParamsSchema = z.strictObject({
  title: TitleSchema,
});
export type ConversationUpdateParams = z.input<typeof ConversationUpdateParamsSchema>;

export const ConversationListParamsSchema = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(100))),
  after: z.optional(IdSchema),
  agent_id: z.optional(IdSchema),
});
export type ConversationListParams = z.output<typeof ConversationListParamsSchema>;

export const MessageCreateParamsSchema = z.strictObject({
  content: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(100_000)),
});
export type MessageCreateParams = z.input<typeof MessageCreateParamsSchema>;

/** Answer to the action a conversation in `awaiting_confirmation` waits on. */
export const ConfirmParamsSchema = z.strictObject({
  approve: z.boolean(),
});
export type ConfirmParams = z.input<typeof ConfirmParamsSchema>;

/** Pages of a conversation's log are keyed by `seq`: `after` is exclusive. */
export const EventListParamsSchema = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000))),
  after: z.optional(z.coerce.number().check(z.int(), z.gte(0))),
});
export type EventListParams = z.output<typeof EventListParamsSchema>;

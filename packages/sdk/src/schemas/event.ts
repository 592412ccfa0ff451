import * as z from 'zod/mini';
import { IdSchema, openEnum, TimestampSchema } from './common.ts';
import { ChangedFileSchema, InstructionFileSchema, RepositorySchema, WorkspaceFileSchema } from './workspace.ts';

/** Where a conversation's run stands. */
export const CONVERSATION_STATES = ['idle', 'running', 'awaiting_confirmation', 'finished', 'stopped', 'error'] as const;
export const ConversationStateSchema = z.enum(CONVERSATION_STATES);
export type ConversationState = z.infer<typeof ConversationStateSchema>;

/**
 * Why a conversation entered its state (`reason` of a `state` event). A run starts `running` with `null` (a user
 * message), `user_approve` or `user_reject` (a confirmation), `waiting_for_agent` (a message sent while the agent
 * is starting: it waits, with any message sent meanwhile, and a second `running` with `null` follows when the agent
 * runs and the run begins), or `waiting_for_workspace` (the conversation's repository is being cloned: messages sent
 * meanwhile wait for it the same way). It ends:
 * - `idle`: `awaiting_user` (the model answered without a tool call), `workspace_ready` (the repository is cloned and
 *   no message waited for it);
 * - `awaiting_confirmation`: `confirmation_required`;
 * - `finished`: `finish` (the model called `finish`);
 * - `stopped`: `user_stop`;
 * - `error`: the code of the error event stored just before it (`interrupted`, `max_iterations`, `stuck`, `llm_auth`,
 *   `llm_error`, `llm_timeout`, `llm_context_length`, `llm_not_configured`, `egress_refused` (the LLM's address is one
 *   the server does not connect to for users), `sandbox_error`, `agent_start_failed` (messages that waited for the
 *   agent, whose start failed), `internal_error`, `budget` — the conversation used the agent's `max_budget_tokens` — and
 *   `quota_exceeded` — a per-user limit of the server); or `clone_failed`: the conversation's repository could not be
 *   cloned, and the error event before it says why (`repository_not_found`, `repository_auth_failed`,
 *   `repository_unreachable`, `repository_ref_not_found`, `repository_too_large`, `egress_refused`);
 * - `idle`: also `confirmation_timeout` (a visitor's conversation whose action the owner did not confirm in time: the
 *   action was rejected).
 * Newer servers may add reasons: responses accept any string (see `openEnum`).
 */
export const STATE_REASONS = [
  'user_approve',
  'user_reject',
  'waiting_for_agent',
  'waiting_for_workspace',
  'awaiting_user',
  'workspace_ready',
  'confirmation_required',
  'finish',
  'user_stop',
  'interrupted',
  'max_iterations',
  'stuck',
  'llm_auth',
  'llm_error',
  'llm_timeout',
  'llm_context_length',
  'llm_not_configured',
  'egress_refused',
  'sandbox_error',
  'agent_start_failed',
  'internal_error',
  'budget',
  'quota_exceeded',
  'confirmation_timeout',
  'clone_failed',
] as const;
export const StateReasonSchema = z.enum(STATE_REASONS);
export type StateReason = z.infer<typeof StateReasonSchema>;

/**
 * Codes of `error` events. Those a run survives: `llm_retry` (a transient LLM failure, retried),
 * `llm_context_condensed` (the history was too long; older outputs were condensed) and `text_tool_call` (the model
 * wrote a tool call as text; it ran as if native). Every other code ends the run, and the final `state` event carries
 * it as its `reason` — except the `repository_*` codes (and an `egress_refused` of a clone), which end a conversation's
 * setup with the reason `clone_failed`:
 * - `repository_not_found`: no repository at the URL (404);
 * - `repository_auth_failed`: the server asked for credentials and had none, or refused the token (401, 403);
 * - `repository_unreachable`: no answer (DNS, connection, TLS), a server error, an answer that could not be cloned
 *   (a broken pack, a failed checkout), or the clone took longer than the server's clone timeout;
 * - `repository_ref_not_found`: the repository has no branch or tag `ref`;
 * - `repository_too_large`: more than the server's `CLONE_LIMIT_BYTES` were received or checked out.
 */
export const EVENT_ERROR_CODES = [
  'llm_retry',
  'llm_context_condensed',
  'text_tool_call',
  'interrupted',
  'max_iterations',
  'stuck',
  'llm_auth',
  'llm_error',
  'llm_timeout',
  'llm_context_length',
  'llm_not_configured',
  'egress_refused',
  'sandbox_error',
  'agent_start_failed',
  'internal_error',
  'budget',
  'quota_exceeded',
  'repository_not_found',
  'repository_auth_failed',
  'repository_unreachable',
  'repository_ref_not_found',
  'repository_too_large',
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

/**
 * Why an assistant message ended (`finish_reason` of its LLM reply, as OpenAI names them): `stop` (the model was
 * done), `tool_calls` (it called tools), `length` (the output hit the token limit: the text is cut off),
 * `content_filter` (the provider withheld the rest), `user_stop` (the user stopped the run while it streamed: the
 * text is what had arrived). Providers' synonyms are mapped (`max_tokens` → `length`, `end_turn` → `stop`); newer
 * servers may add values.
 */
export const FINISH_REASONS = ['stop', 'tool_calls', 'length', 'content_filter', 'user_stop'] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

/**
 * Where the model's reasoning arrived, so it can be sent back the same way: the `reasoning_content` delta field
 * (DeepSeek, Qwen, SGLang, older vLLM), `reasoning` (newer vLLM, OpenRouter), or `<think>…</think>` in the text
 * (`think_tag`, models served without a reasoning parser).
 */
export const REASONING_FIELDS = ['reasoning_content', 'reasoning', 'think_tag'] as const;
export type ReasoningField = (typeof REASONING_FIELDS)[number];

/**
 * A message. Assistant messages written by the model also carry how the reply ended (`finish_reason`) and, for
 * reasoning models, the reasoning kept apart from the answer (`reasoning_content`, arrived in `reasoning_field`).
 * `provider_fields` holds opaque fields a provider wants back with the turn (OpenRouter's `reasoning_details`).
 * An assistant turn that only called tools has a message with empty `content` when the model reasoned before it.
 * A user message may name workspace files (`attachments`); the model reads a line per file after the text.
 */
export const MessageEventSchema = z.object({
  ...stored,
  type: z.literal('message'),
  role: MessageRoleSchema,
  content: z.string(),
  finish_reason: z.optional(z.nullable(openEnum(FINISH_REASONS))),
  reasoning_content: z.optional(z.string()),
  reasoning_field: z.optional(openEnum(REASONING_FIELDS)),
  provider_fields: z.optional(z.record(z.string(), z.unknown())),
  /** Of a user message: workspace files it names (`attachments` of the request), with their size and type. */
  attachments: z.optional(z.array(WorkspaceFileSchema)),
});
export type MessageEvent = z.infer<typeof MessageEventSchema>;

/**
 * A tool call of the model. `tool_call_id` is the server's own id (unique in the conversation, 9 letters and digits:
 * a form every provider accepts); `provider_tool_call_id` is the id the provider gave it, kept for logs (providers may
 * repeat ids). `provider_fields` holds opaque per-call fields the provider wants back (Gemini's `extra_content` with
 * its thought signature).
 */
export const ActionEventSchema = z.object({
  ...stored,
  type: z.literal('action'),
  tool_call_id: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
  provider_tool_call_id: z.optional(z.nullable(z.string())),
  provider_fields: z.optional(z.record(z.string(), z.unknown())),
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

/**
 * What a `workspace` event reports: a repository being cloned (`cloning`, repeated with progress), cloned (`ready`,
 * with the commit) or not (`failed`); the repository instructions a run loaded (`instructions`, when they changed);
 * files uploaded (`uploaded`).
 */
export const WORKSPACE_PHASES = ['cloning', 'ready', 'failed', 'instructions', 'uploaded'] as const;
export type WorkspacePhase = (typeof WORKSPACE_PHASES)[number];

/** The fields of a `workspace` event besides its `phase` (an import takes them as they are). */
export const WORKSPACE_EVENT_FIELDS = {
  repository: z.optional(RepositorySchema),
  /** Objects received so far (`cloning`, `ready`). */
  received_objects: z.optional(z.number()),
  /** Bytes received from the remote so far. */
  received_bytes: z.optional(z.number()),
  instructions: z.optional(z.array(InstructionFileSchema)),
  files: z.optional(z.array(WorkspaceFileSchema)),
  message: z.optional(z.string()),
};

/**
 * Something happened to the conversation's workspace outside the agent's actions:
 * - `cloning`: the repository's clone started, or went on (`received_objects`, `received_bytes`; at
 *   most one such event every two seconds);
 * - `ready`: cloned and copied into the workspace; `repository.commit` is the checked-out commit (the baseline of
 *   `GET …/changes`), with the totals received;
 * - `failed`: the clone failed or was stopped (`message`; the `error` event that follows has the code);
 * - `instructions`: what a run loaded from `AGENTS.md` / `.openhands/microagents/repo.md` into the system prompt, stored
 *   when it differs from the last such event (an empty list: none any more);
 * - `uploaded`: files the user uploaded (`files`).
 */
export const WorkspaceEventSchema = z.object({
  ...stored,
  type: z.literal('workspace'),
  phase: openEnum(WORKSPACE_PHASES),
  ...WORKSPACE_EVENT_FIELDS,
});
export type WorkspaceEvent = z.infer<typeof WorkspaceEventSchema>;

/** A stored step of a conversation. */
export const EventSchema = z.discriminatedUnion('type', [
  MessageEventSchema,
  ActionEventSchema,
  ObservationEventSchema,
  StateEventSchema,
  ErrorEventSchema,
  WorkspaceEventSchema,
]);
export type Event = z.infer<typeof EventSchema>;
export type EventType = Event['type'];

/** Types of stored events this SDK version knows. */
export const STORED_EVENT_TYPES: readonly EventType[] = ['message', 'action', 'observation', 'state', 'error', 'workspace'];

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
  /** Where `content` starts in the message's whole text (UTF-16 code units): a catch-up and live pieces meet on it. */
  offset: z.optional(z.number().check(z.int(), z.gte(0))),
});
export type DeltaEvent = z.infer<typeof DeltaEventSchema>;

/**
 * Ephemeral: a piece of a reasoning model's reasoning while it streams (never part of the answer). `message_id` is
 * the id of the assistant message stored when the reply is complete, which keeps the reasoning whole in
 * `reasoning_content`. A type of its own, so clients that only know `delta` never fold reasoning into the answer.
 */
export const ReasoningDeltaEventSchema = z.object({
  type: z.literal('reasoning_delta'),
  conversation_id: IdSchema,
  message_id: IdSchema,
  content: z.string(),
  /** Where `content` starts in the whole reasoning (UTF-16 code units). */
  offset: z.optional(z.number().check(z.int(), z.gte(0))),
});
export type ReasoningDeltaEvent = z.infer<typeof ReasoningDeltaEventSchema>;

/**
 * Ephemeral: output of a command while it runs (ANSI sequences included, secrets masked). Never stored, no `seq`;
 * the complete output arrives as the `observation` with the same `tool_call_id`.
 */
export const OutputEventSchema = z.object({
  type: z.literal('output'),
  conversation_id: IdSchema,
  tool_call_id: z.string(),
  content: z.string(),
  /** Where `content` starts in the command's whole output so far (UTF-16 code units). */
  offset: z.optional(z.number().check(z.int(), z.gte(0))),
});
export type OutputEvent = z.infer<typeof OutputEventSchema>;

/** What streams live only: never stored, never replayed. */
export const EphemeralEventSchema = z.discriminatedUnion('type', [DeltaEventSchema, ReasoningDeltaEventSchema, OutputEventSchema]);
export type EphemeralEvent = z.infer<typeof EphemeralEventSchema>;

/**
 * Ephemeral, sent once when a stream opens (or resumes with `Last-Event-ID`) while something is in flight, before the
 * live pieces: what an assistant message (`message_id`: its text `content` and `reasoning_content` so far) or a running
 * command (`tool_call_id`: its output `content` so far, from `offset` when the start was dropped — the server keeps the
 * last 64 KiB) has streamed already. The live `delta`, `reasoning_delta` and `output` events that follow continue from
 * there (their `offset`s start where this ends); the stored `message` or `observation` replaces it all when it lands.
 */
export const CatchUpEventSchema = z.object({
  type: z.literal('catch_up'),
  conversation_id: IdSchema,
  message_id: z.optional(IdSchema),
  tool_call_id: z.optional(z.string()),
  content: z.string(),
  reasoning_content: z.optional(z.string()),
  offset: z.optional(z.number().check(z.int(), z.gte(0))),
});
export type CatchUpEvent = z.infer<typeof CatchUpEventSchema>;

/**
 * Why the server ended an event stream: its session or API key was revoked (logout, password change, deleted key or
 * account), its token expired, the stream reached the server's `SSE_MAX_AGE_SECONDS`, or (a visitor's stream) the
 * agent's embed policy changed under its token — a publishable key rotated or revoked, origins changed, embedding
 * turned off (`token_stale`). Only `stream_max_age` is worth a reconnect (with `Last-Event-ID`); the others need new
 * credentials.
 */
export const STREAM_END_CODES = ['token_revoked', 'token_expired', 'stream_max_age', 'token_stale'] as const;
export type StreamEndCode = (typeof STREAM_END_CODES)[number];

/**
 * Ephemeral, the last event of a stream the server ends on its own: no `id`, no `seq`, never stored. The connection
 * closes right after it.
 */
export const StreamEndEventSchema = z.object({
  type: z.literal('stream_end'),
  conversation_id: IdSchema,
  code: openEnum(STREAM_END_CODES),
  message: z.string(),
});
export type StreamEndEvent = z.infer<typeof StreamEndEventSchema>;

/** Anything a conversation's stream can carry. */
export const StreamEventSchema = z.discriminatedUnion('type', [
  MessageEventSchema,
  ActionEventSchema,
  ObservationEventSchema,
  StateEventSchema,
  ErrorEventSchema,
  WorkspaceEventSchema,
  DeltaEventSchema,
  ReasoningDeltaEventSchema,
  OutputEventSchema,
  CatchUpEventSchema,
  StreamEndEventSchema,
]);
export type StreamEvent = z.infer<typeof StreamEventSchema>;

import * as z from 'zod/mini';
import { EnvNameSchema, IdSchema, openEnum, TimestampSchema } from './common.ts';
import { CONVERSATION_STATES } from './event.ts';
import { AttachmentParamsSchema, RepositorySchema } from './workspace.ts';

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
  /** The visitor whose conversation this is (an embedded agent's), or null for the owner's own. Absent from older servers. */
  visitor_id: z.optional(z.nullable(IdSchema)),
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
  /** The repository the conversation was started from (`repository` of the create call); absent: none. */
  repository: z.optional(RepositorySchema),
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

/** The deepest `repository.depth`: git's servers parse `deepen <n>` as a 32-bit signed integer and refuse more. */
export const MAX_CLONE_DEPTH = 2_147_483_647;

/**
 * A git repository to clone into a new conversation's workspace. The server clones it (never the sandbox), `depth`
 * commits deep (default 1), without submodules or LFS files; `token_secret` names one of your secrets whose value is
 * sent as the password of HTTP Basic authentication, and nowhere else.
 */
export const RepositoryParamsSchema = z.strictObject({
  /**
   * An absolute `https:` (or `http:`) URL without credentials (`https://user:token@…`: name a secret in `token_secret`
   * instead), query or fragment. Whether the server may connect to its host is the server's to say (`egress_refused`).
   */
  url: z.url({ protocol: /^https?$/, error: (issue) => (issue.input === undefined ? 'is required' : 'must be an https:// URL') }).check(
    z.maxLength(2048),
    z.refine((url) => !/^https?:\/\/[^/]*@|[?#]/i.test(url), 'must have no credentials (use token_secret), query or fragment'),
  ),
  /** A branch or tag; default: the remote's default branch. */
  ref: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  /** The name of one of your secrets holding an access token for the repository's host. */
  token_secret: z.optional(EnvNameSchema),
  /** Commits of history to fetch (default 1); at most 2147483647, the largest `deepen` git's servers take. */
  depth: z.optional(z.number().check(z.int(), z.gte(1), z.lte(MAX_CLONE_DEPTH))),
});
export type RepositoryParams = z.input<typeof RepositoryParamsSchema>;

export const ConversationCreateParamsSchema = z.strictObject({
  agent_id: z.optional(z.nullable(IdSchema)),
  title: z.optional(TitleSchema),
  /** Clone this repository into the workspace first: the conversation is `running` (`waiting_for_workspace`) meanwhile. */
  repository: z.optional(RepositoryParamsSchema),
});
export type ConversationCreateParams = z.input<typeof ConversationCreateParamsSchema>;

export const ConversationUpdateParamsSchema = z.strictObject({
  title: TitleSchema,
});
export type ConversationUpdateParams = z.input<typeof ConversationUpdateParamsSchema>;

/**
 * `GET /conversations`: `agent_id`, `visitor_id`, `visitors`, `state` and `q` (words of the title, case-insensitive)
 * filter; all given must hold.
 */
export const ConversationListParamsSchema = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(100))),
  after: z.optional(IdSchema),
  agent_id: z.optional(IdSchema),
  /** Only the conversations of this visitor of one of your agents. */
  visitor_id: z.optional(IdSchema),
  /** `only`: the conversations of your agents' visitors (any visitor); `none`: your own only. Absent: both. */
  visitors: z.optional(z.enum(['only', 'none'])),
  state: z.optional(z.enum(CONVERSATION_STATES)),
  q: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
});
export type ConversationListParams = z.output<typeof ConversationListParamsSchema>;

/**
 * Files of the conversation's workspace a message points the agent to (uploaded first, with `PUT …/files/content`):
 * each must exist, as a file. The agent reads them in its sandbox; the message keeps the list.
 */
export const MessageAttachmentsSchema = z.array(AttachmentParamsSchema).check(z.maxLength(20));

export const MessageCreateParamsSchema = z.strictObject({
  content: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(100_000)),
  attachments: z.optional(MessageAttachmentsSchema),
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

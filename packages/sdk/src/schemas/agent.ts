import * as z from 'zod/mini';
import { EnvNameSchema, IdSchema, openEnum, TimestampSchema } from './common.ts';

/** The CodeAct tools an agent may use (OpenHands' names). */
export const TOOL_NAMES = ['execute_bash', 'str_replace_editor', 'think', 'finish'] as const;
export const ToolNameSchema = z.enum(TOOL_NAMES);
export type ToolName = z.infer<typeof ToolNameSchema>;
export const ALL_TOOLS: readonly ToolName[] = ToolNameSchema.options;

/** LLM calls a run may make after the user's last message, when neither the agent nor the user set `max_iterations`. */
export const DEFAULT_MAX_ITERATIONS = 100;
/** Seconds without activity after which a conversation's sandbox is stopped (its files kept), unless the agent sets it. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 900;
/**
 * Seconds an LLM call may go without receiving a byte (keep-alive comments count) before it ends as `llm_timeout`,
 * unless the agent, the user or the server (`LLM_IDLE_TIMEOUT_SECONDS`) sets it. Reasoning models can be silent for
 * minutes before their first token.
 */
export const DEFAULT_LLM_IDLE_TIMEOUT_SECONDS = 300;
/** Seconds one whole LLM call may take (headers and stream) before it ends as `llm_timeout` (`LLM_TIMEOUT_SECONDS`). */
export const DEFAULT_LLM_TIMEOUT_SECONDS = 600;

/**
 * What an agent's sandboxes may reach over the network: `egress` (the default) the public internet only — not other
 * sandboxes, the server, the host, private ranges or metadata addresses; `none` nothing at all.
 */
export const NETWORK_POLICIES = ['none', 'egress'] as const;
export const NetworkPolicySchema = z.enum(NETWORK_POLICIES);
export type NetworkPolicy = z.infer<typeof NetworkPolicySchema>;

/** Seconds of an LLM deadline: fractions allowed (0.1 s to a day). */
export const LlmTimeoutSecondsSchema = z.number().check(z.gte(0.1), z.lte(24 * 3600));

/**
 * Limits of an agent's visitors (`embed.policy.quotas`), counted in Postgres across replicas; a refusal is a 429
 * `quota_exceeded` naming the quota (`visitor_messages_per_hour`, …) with `Retry-After`. Messages are counted over the
 * last hour, tokens (prompt + completion) since midnight UTC, sandboxes while they run. `0` refuses everything.
 */
export const EmbedQuotasSchema = z.strictObject({
  visitor_messages_per_hour: z._default(z.number().check(z.int(), z.gte(0), z.lte(100_000)), 30),
  visitor_tokens_per_day: z._default(z.number().check(z.int(), z.gte(0), z.lte(1_000_000_000)), 200_000),
  visitor_sandboxes: z._default(z.number().check(z.int(), z.gte(0), z.lte(100)), 1),
  agent_messages_per_hour: z._default(z.number().check(z.int(), z.gte(0), z.lte(10_000_000)), 600),
  agent_tokens_per_day: z._default(z.number().check(z.int(), z.gte(0), z.lte(1_000_000_000_000)), 5_000_000),
  agent_sandboxes: z._default(z.number().check(z.int(), z.gte(0), z.lte(1000)), 5),
});
export type EmbedQuotas = z.infer<typeof EmbedQuotasSchema>;

/**
 * What visitors' conversations may use, safe by default: no secrets, no network, tools the intersection of `tools` and
 * the agent's own, confirmations answered by the owner only (rejected after `confirmation_timeout_seconds`), quotas.
 */
export const EmbedPolicySchema = z.strictObject({
  /** Allowlist: a visitor's conversation is offered the tools named both here and in the agent's `tools` (`finish` always). */
  tools: z._default(z.array(ToolNameSchema).check(z.minLength(1)), () => [...ALL_TOOLS]),
  /** The network of visitors' sandboxes (default `none`); they take a warm pool's sandbox never. */
  network: z._default(NetworkPolicySchema, 'none'),
  /** The agent's secrets (names also in its `secrets`) exported to visitors' sandboxes; default none. */
  secrets: z._default(z.array(EnvNameSchema).check(z.maxLength(50)), () => []),
  /** An action awaiting the owner's confirmation this long is rejected. */
  confirmation_timeout_seconds: z._default(z.number().check(z.int(), z.gte(1), z.lte(7 * 24 * 3600)), 300),
  quotas: z._default(EmbedQuotasSchema, () => EmbedQuotasSchema.parse({})),
});
export type EmbedPolicy = z.infer<typeof EmbedPolicySchema>;

/**
 * Embedding the agent in websites (`<metis-chat>` with a publishable key, or tokens a backend mints): off by default.
 * Turning it off ends every visitor token and stream at once (`token_stale`).
 */
export const EmbedConfigSchema = z.strictObject({
  enabled: z._default(z.boolean(), false),
  policy: z._default(EmbedPolicySchema, () => EmbedPolicySchema.parse({})),
  /** Visitors' conversations without activity for this many days are deleted (absent: kept). */
  retention_days: z.optional(z.number().check(z.int(), z.gte(1), z.lte(3650))),
});
export type EmbedConfig = z.infer<typeof EmbedConfigSchema>;

/** The embed config as a server answers it: fields a newer server adds pass through, every field may be absent. */
export const EmbedConfigResponseSchema = z.looseObject({
  enabled: z.optional(z.boolean()),
  policy: z.optional(
    z.looseObject({
      tools: z.optional(z.array(openEnum(TOOL_NAMES))),
      network: z.optional(openEnum(NETWORK_POLICIES)),
      secrets: z.optional(z.array(z.string())),
      confirmation_timeout_seconds: z.optional(z.number()),
      quotas: z.optional(z.record(z.string(), z.number())),
    }),
  ),
  retention_days: z.optional(z.number()),
});

const agentConfigShape = {
  llm_model: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  /** OpenAI-compatible base URL, including `/v1`. */
  llm_base_url: z.optional(z.url({ protocol: /^https?$/ })),
  /** Name of one of the user's secrets that holds the LLM API key. */
  llm_api_key_secret: z.optional(EnvNameSchema),
  system_prompt: z.optional(z.string().check(z.maxLength(20_000))),
  max_iterations: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  /** Image of the sandbox; absent → the server's default image. It must be one the server allows (`SANDBOX_ALLOWED_IMAGES`). */
  sandbox_image: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
  /** What the sandbox's network may reach (see `NETWORK_POLICIES`); a change applies to its stopped and pooled sandboxes too. */
  network: z._default(NetworkPolicySchema, 'egress'),
  tools: z._default(z.array(ToolNameSchema).check(z.minLength(1)), () => [...ALL_TOOLS]),
  /** Pause before every command or edit until the user confirms. Absent → the user's setting. */
  confirmation_mode: z.optional(z.boolean()),
  /** Names of the user's secrets exported as environment variables in the sandbox. */
  secrets: z._default(z.array(EnvNameSchema).check(z.maxLength(50)), () => []),
  /** Sandboxes kept started for this agent's next conversations while it runs. */
  warm_pool_size: z._default(z.number().check(z.int(), z.gte(0), z.lte(10)), 1),
  /**
   * Tokens (prompt + completion) a conversation of this agent may use in all; a run that reaches it ends with reason
   * `budget`, and the conversation takes no more runs. Absent: no budget.
   */
  max_budget_tokens: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1_000_000_000_000))),
  /** A conversation's sandbox is stopped after this long without activity (its files are kept). */
  idle_timeout_seconds: z._default(z.number().check(z.int(), z.gte(30), z.lte(7 * 24 * 3600)), DEFAULT_IDLE_TIMEOUT_SECONDS),
  /** An LLM call that receives nothing for this long ends as `llm_timeout` (retried). Absent → the user's setting. */
  llm_idle_timeout_seconds: z.optional(LlmTimeoutSecondsSchema),
  /** One LLM call (headers and stream) may take this long, then ends as `llm_timeout`. Absent → the user's setting. */
  llm_timeout_seconds: z.optional(LlmTimeoutSecondsSchema),
  /**
   * Run tool calls the model wrote as text (`<tool_call>{…}</tool_call>` and common variants) when a reply has no
   * native ones, as models served without a tool parser do. Default true.
   */
  text_tool_calls: z._default(z.boolean(), true),
  /** Embedding in websites, for anonymous visitors (see `EmbedConfigSchema`). */
  embed: z._default(EmbedConfigSchema, () => EmbedConfigSchema.parse({})),
};

/**
 * How an agent runs. Absent LLM fields fall back to the user's settings, then to the server's defaults.
 * `PUT /agents/{id}` replaces the whole config. Requests are strict: an unknown key is a 400.
 */
export const AgentConfigSchema = z.strictObject(agentConfigShape);
export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

/** The config as a server answers it: keys a newer server added pass through, and tool names are open. */
export const AgentConfigResponseSchema = z.looseObject({
  ...agentConfigShape,
  tools: z.array(openEnum(TOOL_NAMES)),
  network: z.optional(openEnum(NETWORK_POLICIES)),
  embed: z.optional(EmbedConfigResponseSchema),
});

export const AGENT_STATUSES = ['stopped', 'starting', 'running', 'stopping', 'error'] as const;
export const AgentStatusSchema = z.enum(AGENT_STATUSES);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

/**
 * What a `starting` agent is doing that takes a while: `building_image` (its sandbox image is being built, on the
 * first start of a server; every agent waiting for that image shows the same build). Newer servers may add phases.
 */
export const AGENT_STATUS_PHASES = ['building_image'] as const;

/**
 * The structured side of `status_message` while an agent starts (null otherwise): poll `GET /agents/{id}` to follow
 * it. `building_image`: the build's `step` of `steps` (null when the builder numbers no steps: `log_lines` is then
 * the progress) and the step's Dockerfile `instruction`. Loose: a newer server's phases and fields pass through.
 */
export const AgentStatusDetailSchema = z.looseObject({
  phase: openEnum(AGENT_STATUS_PHASES),
  /** The image being built. */
  image: z.optional(z.string()),
  /** The step being run (1-based), or null before the first one or when the builder numbers none. */
  step: z.optional(z.nullable(z.number())),
  /** How many steps the build has, or null. */
  steps: z.optional(z.nullable(z.number())),
  /** The Dockerfile instruction of that step (`RUN apt-get update …`), or null. */
  instruction: z.optional(z.nullable(z.string())),
  /** Lines of build output so far. */
  log_lines: z.optional(z.number()),
  /** When the build started. */
  started_at: z.optional(TimestampSchema),
});
export type AgentStatusDetail = z.infer<typeof AgentStatusDetailSchema>;

export const AgentSchema = z.object({
  id: IdSchema,
  name: z.string(),
  description: z.nullable(z.string()),
  config: AgentConfigResponseSchema,
  status: openEnum(AGENT_STATUSES),
  /**
   * A sentence for people: why the agent is in `error` (for a failed image build, with the end of the build log), or
   * what a `starting` agent is doing (`Building the sandbox image …: step 3 of 9 …`); null otherwise.
   */
  status_message: z.nullable(z.string()),
  /** The same progress, structured, while the agent starts (see `AgentStatusDetailSchema`); null otherwise. Older servers omit it. */
  status_detail: z.optional(z.nullable(AgentStatusDetailSchema)),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
});
export type Agent = z.infer<typeof AgentSchema>;

const AgentNameSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(100));
const AgentDescriptionSchema = z.nullable(z.string().check(z.maxLength(1000)));

export const AgentCreateParamsSchema = z.strictObject({
  name: AgentNameSchema,
  description: z.optional(AgentDescriptionSchema),
  config: z._default(AgentConfigSchema, () => AgentConfigSchema.parse({})),
});
export type AgentCreateParams = z.input<typeof AgentCreateParamsSchema>;

/** Partial: only the fields given change; a given `config` replaces the old one whole. */
export const AgentUpdateParamsSchema = z.strictObject({
  name: z.optional(AgentNameSchema),
  description: z.optional(AgentDescriptionSchema),
  config: z.optional(AgentConfigSchema),
});
export type AgentUpdateParams = z.input<typeof AgentUpdateParamsSchema>;

/** Answer of `POST /agents/{id}/start|stop` (202): the status it moved to; the rest happens in the background. */
export const AgentStatusResponseSchema = z.object({
  id: IdSchema,
  status: openEnum(AGENT_STATUSES),
});
export type AgentStatusResponse = z.infer<typeof AgentStatusResponseSchema>;

import * as z from 'zod/mini';
import { LlmTimeoutSecondsSchema } from './agent.ts';
import { EnvNameSchema, IdSchema, openEnum, TimestampSchema } from './common.ts';

/** A user's defaults for agents; `llm_api_key` is write-only. */
export const SettingsSchema = z.object({
  llm_model: z.nullable(z.string()),
  llm_base_url: z.nullable(z.string()),
  has_llm_api_key: z.boolean(),
  max_iterations: z.nullable(z.number()),
  confirmation_mode: z.boolean(),
  /** See the agent config's `llm_idle_timeout_seconds`; null → the server's `LLM_IDLE_TIMEOUT_SECONDS`. */
  llm_idle_timeout_seconds: z.optional(z.nullable(z.number())),
  /** See the agent config's `llm_timeout_seconds`; null → the server's `LLM_TIMEOUT_SECONDS`. */
  llm_timeout_seconds: z.optional(z.nullable(z.number())),
  updated_at: z.nullable(TimestampSchema),
});
export type Settings = z.infer<typeof SettingsSchema>;

/**
 * An LLM API key: it travels in the `Authorization` header, so only visible ASCII (no spaces, no `…` pasted from a
 * placeholder), 1–4096 characters.
 */
export const LlmApiKeySchema = z
  .string()
  .check(z.minLength(1), z.maxLength(4096), z.regex(/^[\x21-\x7e]*$/, 'must be visible ASCII characters (an HTTP header carries it)'));

/** Partial: only given fields change; `null` clears a field. */
export const SettingsUpdateParamsSchema = z.strictObject({
  llm_model: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(200)))),
  llm_base_url: z.optional(z.nullable(z.url({ protocol: /^https?$/ }))),
  llm_api_key: z.optional(z.nullable(LlmApiKeySchema)),
  max_iterations: z.optional(z.nullable(z.number().check(z.int(), z.gte(1), z.lte(1000)))),
  confirmation_mode: z.optional(z.boolean()),
  llm_idle_timeout_seconds: z.optional(z.nullable(LlmTimeoutSecondsSchema)),
  llm_timeout_seconds: z.optional(z.nullable(LlmTimeoutSecondsSchema)),
});
export type SettingsUpdateParams = z.input<typeof SettingsUpdateParamsSchema>;

/** `POST /settings/llm-test`: try the configured LLM endpoint, optionally with values not saved yet. */
export const LlmTestParamsSchema = z.strictObject({
  llm_model: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  llm_base_url: z.optional(z.url({ protocol: /^https?$/ })),
  llm_api_key: z.optional(LlmApiKeySchema),
});
export type LlmTestParams = z.input<typeof LlmTestParamsSchema>;

/**
 * How an LLM call failed, classified the same way for `llm-test` and for runs: `llm_auth` (401/403: the key),
 * `llm_model_not_found` (404: the model or the URL's path), `llm_rate_limited` (429), `llm_context_length`,
 * `llm_unreachable` (no HTTP answer: DNS, refused, TLS), `llm_timeout`, `egress_refused` (the server does not connect
 * to that address for users, or the endpoint answered with a redirect: nothing it sent comes back), and `llm_error`
 * for anything else.
 */
export const LLM_ERROR_CODES = [
  'llm_auth',
  'llm_model_not_found',
  'llm_rate_limited',
  'llm_context_length',
  'llm_unreachable',
  'llm_timeout',
  'egress_refused',
  'llm_error',
] as const;
export const LlmErrorCodeSchema = z.enum(LLM_ERROR_CODES);
export type LlmErrorCode = z.infer<typeof LlmErrorCodeSchema>;

export const LlmTestResultSchema = z.object({
  ok: z.boolean(),
  model: z.nullable(z.string()),
  base_url: z.nullable(z.string()),
  latency_ms: z.number(),
  /**
   * The provider's complaint when `ok` is false (its HTTP status when it answered). `field`: the setting at fault, when
   * one is: the base URL (`llm_base_url`, or `config.llm_base_url` of the agent) when the server refused the call
   * (`egress_refused`) or nothing answered there (`llm_unreachable`, `llm_timeout`); the key (`llm_api_key`,
   * `config.llm_api_key_secret`) on `llm_auth`; the model (`llm_model`, `config.llm_model`) on `llm_model_not_found`.
   * Absent when the server's own setting was used.
   */
  error: z.nullable(z.object({ status: z.nullable(z.number()), code: openEnum(LLM_ERROR_CODES), message: z.string(), field: z.optional(z.string()) })),
});
export type LlmTestResult = z.infer<typeof LlmTestResultSchema>;

/** A secret's value is never returned. */
export const SecretSchema = z.object({
  id: IdSchema,
  name: z.string(),
  description: z.nullable(z.string()),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
});
export type Secret = z.infer<typeof SecretSchema>;

export const SecretCreateParamsSchema = z.strictObject({
  name: EnvNameSchema,
  value: z.string().check(z.minLength(1), z.maxLength(65_536)),
  description: z.optional(z.nullable(z.string().check(z.maxLength(500)))),
});
export type SecretCreateParams = z.input<typeof SecretCreateParamsSchema>;

/** `PUT /secrets/{id}`: a new value (agents get it in their next sandbox), and optionally a new description. The name stays. */
export const SecretUpdateParamsSchema = z.strictObject({
  value: z.string().check(z.minLength(1), z.maxLength(65_536)),
  description: z.optional(z.nullable(z.string().check(z.maxLength(500)))),
});
export type SecretUpdateParams = z.input<typeof SecretUpdateParamsSchema>;

/**
 * What an API key may do. `read`: GET routes and LLM tests; `run`: `read` plus conversations, messages, stop, confirm
 * and files; `manage`: `run` plus agents, settings and secrets; `embed:mint`: only minting embed tokens. Managing API
 * keys, sessions, the password and the account needs a session (a login), never a key. The OpenAPI document gives
 * each operation's scope (`x-required-scope`).
 */
export const API_KEY_SCOPES = ['read', 'run', 'manage', 'embed:mint'] as const;
export const ApiKeyScopeSchema = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScopeSchema>;

/**
 * What an operation needs: one of the key scopes, `session` (a login's access token; no key may), or `visitor` (a
 * visitor token of an embedded agent, which reaches the `/embed/…` routes and nothing else).
 */
export type RequiredScope = ApiKeyScope | 'session' | 'visitor';

export const ApiKeySchema = z.object({
  id: IdSchema,
  name: z.string(),
  scopes: z.array(openEnum(API_KEY_SCOPES)),
  /** The agents the key is restricted to (their conversations included), or null for all of the user's. */
  agent_ids: z.nullable(z.array(IdSchema)),
  /** The first characters of the key, to recognise it. */
  prefix: z.string(),
  created_at: TimestampSchema,
  last_used_at: z.nullable(TimestampSchema),
  expires_at: z.nullable(TimestampSchema),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** Only the answer of `POST /api-keys` carries `key`: it is stored hashed and cannot be shown again. */
export const ApiKeyCreatedSchema = z.object({
  ...ApiKeySchema.shape,
  key: z.string(),
});
export type ApiKeyCreated = z.infer<typeof ApiKeyCreatedSchema>;

export const ApiKeyCreateParamsSchema = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
  /** Required: at least one scope (see `API_KEY_SCOPES`). */
  scopes: z.array(ApiKeyScopeSchema).check(z.minLength(1), z.maxLength(API_KEY_SCOPES.length)),
  /** Restricts the key to these agents of yours and their conversations; absent or null: all of them. */
  agent_ids: z.optional(z.nullable(z.array(IdSchema).check(z.minLength(1), z.maxLength(100)))),
  expires_in_days: z.optional(z.nullable(z.number().check(z.int(), z.gte(1), z.lte(3650)))),
});
export type ApiKeyCreateParams = z.input<typeof ApiKeyCreateParamsSchema>;

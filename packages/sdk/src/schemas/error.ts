import * as z from 'zod/mini';

/** One problem with the request, `path` dotted (`config.max_iterations`). */
export const ErrorDetailSchema = z.object({
  path: z.string(),
  message: z.string(),
});
export type ErrorDetail = z.infer<typeof ErrorDetailSchema>;

/**
 * The body of every error response. Extra fields (e.g. `current_status`) may stand beside `code`. `field` names the one
 * field at fault (dotted, as in `details`) when every detail concerns the same field, so a form can show the error next
 * to it.
 */
export const ErrorBodySchema = z.object({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    field: z.optional(z.string()),
    details: z.optional(z.array(ErrorDetailSchema)),
    request_id: z.optional(z.string()),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * Stable error codes the server answers with (`error.code` of every error body). Responses type `code` as a plain string:
 * a newer server may add codes.
 */
export const ErrorCode = {
  validation: 'validation_error',
  badRequest: 'bad_request',
  malformedJson: 'malformed_json',
  payloadTooLarge: 'payload_too_large',
  /** The request line and headers together are over the server's limit (Node's 16 KiB): a 431. */
  requestHeaderTooLarge: 'request_header_too_large',
  /** The request's headers or body did not arrive within the server's timeouts: a 408. */
  requestTimeout: 'request_timeout',
  lengthRequired: 'length_required',
  unsupportedMediaType: 'unsupported_media_type',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  registrationClosed: 'registration_closed',
  invalidCredentials: 'invalid_credentials',
  notASession: 'not_a_session',
  notFound: 'not_found',
  invalidPath: 'invalid_path',
  isADirectory: 'is_a_directory',
  notADirectory: 'not_a_directory',
  fileExists: 'file_exists',
  downloadUrlInvalid: 'download_url_invalid',
  methodNotAllowed: 'method_not_allowed',
  emailTaken: 'email_taken',
  conflict: 'conflict',
  invalidTransition: 'invalid_transition',
  agentNotRunning: 'agent_not_running',
  agentDeleted: 'agent_deleted',
  conversationBusy: 'conversation_busy',
  conversationNotRunning: 'conversation_not_running',
  notAwaitingConfirmation: 'not_awaiting_confirmation',
  /** A fork asks for a step whose workspace snapshot is not kept (pruned, or it could not be taken). */
  snapshotUnavailable: 'snapshot_unavailable',
  llmNotConfigured: 'llm_not_configured',
  /** An address the server does not connect to for users (loopback, private, metadata, …), e.g. in `llm_base_url`. */
  egressRefused: 'egress_refused',
  /** `config.sandbox_image` is not among the images this server allows (`SANDBOX_ALLOWED_IMAGES`). */
  imageNotAllowed: 'image_not_allowed',
  secretExists: 'secret_exists',
  idempotencyKeyReused: 'idempotency_key_reused',
  idempotencyKeyInProgress: 'idempotency_key_in_progress',
  rateLimited: 'rate_limited',
  insufficientScope: 'insufficient_scope',
  quotaExceeded: 'quota_exceeded',
  /** Visitor routes (`/embed/…`) need an `Origin` header: they are called from web pages. */
  originRequired: 'origin_required',
  /** The `Origin` is not one the publishable key allows, or not the one the visitor token was minted for. */
  originNotAllowed: 'origin_not_allowed',
  /** No live publishable key by that value (unknown, rotated or revoked). */
  invalidPublishableKey: 'invalid_publishable_key',
  /** The agent is not embeddable: `embed.enabled` is off (or the server cannot isolate visitors' sandboxes). */
  embedDisabled: 'embed_disabled',
  /** The visitor token predates a change of the agent's embed policy (a key rotated or revoked, origins changed, embedding turned off). */
  tokenStale: 'token_stale',
  internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Every code of `ErrorCode`, e.g. for a message catalogue that must cover them all. */
export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

/**
 * Limits named by `quota` in a 429 `quota_exceeded` answer (beside `limit` and `current`). Per user, set by the operator
 * (`QUOTA_*`): running sandboxes (warm pools included), agents, concurrent runs, open event streams, a conversation's
 * workspace size in bytes and its number of events (`idle_timeout_seconds`, `warm_pool_size` and `embed_sandboxes`:
 * only from older servers, which answered a config over the operator's caps so; servers now answer a 400
 * `validation_error` on the field). For an
 * embedded agent's visitors, set by the owner (`embed.policy.quotas`, with `Retry-After`): messages per hour, tokens per
 * UTC day and running sandboxes, per visitor and for all the agent's visitors; and the operator's `visitor_streams`.
 */
export const QUOTAS = [
  'sandboxes',
  'agents',
  'runs',
  'streams',
  'idle_timeout_seconds',
  'warm_pool_size',
  'workspace_bytes',
  'events',
  'visitor_messages_per_hour',
  'visitor_tokens_per_day',
  'visitor_sandboxes',
  'agent_messages_per_hour',
  'agent_tokens_per_day',
  'agent_sandboxes',
  'visitor_streams',
  'embed_sandboxes',
] as const;
export type Quota = (typeof QUOTAS)[number];

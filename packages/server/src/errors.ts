import { ErrorCode, type ErrorDetail, type Quota, type RequiredScope } from '@metisai/sdk/schemas';

export interface DomainErrorOptions {
  /** Fields at fault, `path` dotted (`config.max_iterations`). */
  details?: ErrorDetail[];
  /** Extra fields of the error body beside `code` (e.g. `current_status`). */
  extra?: Record<string, unknown>;
  /** When the caller may try again, in seconds (sent as `Retry-After`). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * An error the core throws for the caller to see: a stable `code` (one of the SDK's `ErrorCode`s), a human `message`
 * and optional `details`/`extra`. Its class says what kind of failure it is; `http/error-response.ts` is the one place
 * that turns a class into an HTTP status. Anything else thrown is an internal error.
 */
export abstract class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  readonly extra: Record<string, unknown>;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.extra = options.extra ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The request is wrong as sent (a field, a header, a missing setting it relies on). */
export class InvalidRequestError extends DomainError {
  override name = 'InvalidRequestError';
}

/** Missing, wrong or revoked credentials. */
export class AuthenticationError extends DomainError {
  override name = 'AuthenticationError';
}

/** The caller is known but may not do this. */
export class PermissionDeniedError extends DomainError {
  override name = 'PermissionDeniedError';
}

/** The credential lacks the scope the operation needs (`required_scope`), or its agent restriction excludes it. */
export class InsufficientScopeError extends PermissionDeniedError {
  override name = 'InsufficientScopeError';
  readonly requiredScope: RequiredScope | null;
  constructor(requiredScope: RequiredScope | null, message: string) {
    super(ErrorCode.insufficientScope, message, { extra: requiredScope ? { required_scope: requiredScope } : {} });
    this.requiredScope = requiredScope;
  }
}

/** Nothing of the caller's by that id (another user's resource answers exactly like a missing one). */
export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
  constructor(what: string, message = `${what} not found`) {
    super(ErrorCode.notFound, message);
  }
}

/** The method is not defined on this path. */
export class MethodNotAllowedError extends DomainError {
  override name = 'MethodNotAllowedError';
}

/** The resource's current state forbids the action (a run is going, the agent is stopped, the name is taken, …). */
export class ConflictError extends DomainError {
  override name = 'ConflictError';
}

/** The request must say its body's length up front (`Content-Length`). */
export class LengthRequiredError extends DomainError {
  override name = 'LengthRequiredError';
}

/** The request body is larger than the server accepts. */
export class PayloadTooLargeError extends DomainError {
  override name = 'PayloadTooLargeError';
}

/** The request body is not of a type the route takes. */
export class UnsupportedMediaTypeError extends DomainError {
  override name = 'UnsupportedMediaTypeError';
}

/** Well-formed, but cannot be processed as asked (an idempotency key reused with another body). */
export class UnprocessableError extends DomainError {
  override name = 'UnprocessableError';
}

/** Too many requests; `retryAfterSeconds` says when to try again. */
export class RateLimitedError extends DomainError {
  override name = 'RateLimitedError';
  constructor(retryAfterSeconds: number) {
    super(ErrorCode.rateLimited, `Too many requests; retry after ${retryAfterSeconds} s`, { retryAfterSeconds, extra: { retry_after: retryAfterSeconds } });
  }
}

/**
 * A limit would be exceeded: a per-user limit of the server (`QUOTA_*`), or an embedded agent's visitor quota. `quota`
 * names it, `limit` is its value and `current` what the user (visitor, agent) has or asks for. A 429; the per-user
 * ones are not lifted by waiting alone, the visitor ones (messages per hour, tokens per day) say when
 * (`retryAfterSeconds`, sent as `Retry-After`).
 */
export class QuotaExceededError extends DomainError {
  override name = 'QuotaExceededError';
  readonly quota: Quota;
  readonly limit: number;
  readonly current: number;
  constructor(quota: Quota, limit: number, current: number, message: string, retryAfterSeconds?: number) {
    super(ErrorCode.quotaExceeded, message, { extra: { quota, limit, current }, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
    this.quota = quota;
    this.limit = limit;
    this.current = current;
  }
}

/** The LLM endpoint cannot be resolved: `message` names what to set and where. A run ends with this code. */
export class LlmNotConfiguredError extends InvalidRequestError {
  override name = 'LlmNotConfiguredError';
  /** `field`: the setting to fill in (`llm_model`, `llm_api_key`), sent as the error's `field`. */
  constructor(message: string, field?: string) {
    super(ErrorCode.llmNotConfigured, message, field ? { details: [{ path: field, message: 'is not set' }] } : {});
  }
}

/** A 400 naming every field at fault. */
export const validationError = (message: string, details: ErrorDetail[]) => new InvalidRequestError(ErrorCode.validation, message, { details });

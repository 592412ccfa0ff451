import type { ErrorDetail } from '../schemas/error.ts';

/** What every SDK error carries. */
export interface MetisErrorInit {
  status?: number | undefined;
  code: string;
  message: string;
  details?: ErrorDetail[] | undefined;
  /** The one field at fault (the body's `field`), e.g. `llm_base_url` or `config.max_iterations`. */
  field?: string | undefined;
  requestId?: string | undefined;
  /** The parsed error body (`{ error: {…} }`) when the server sent one. */
  body?: unknown;
  headers?: Headers | undefined;
  cause?: unknown;
}

/**
 * Base class of every error the SDK throws. HTTP errors carry the server's `status`, `code`
 * (stable snake_case, e.g. `not_found`), `details` and `requestId` (from the body or `X-Request-Id`).
 */
export class MetisError extends Error {
  override name = 'MetisError';
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** Stable snake_case code: the server's (`validation_error`, `invalid_transition`…) or the SDK's (`connection_error`, `timeout`, `aborted`, `invalid_response`). */
  readonly code: string;
  /** Per-field problems of a `validation_error`. */
  readonly details: ErrorDetail[] | undefined;
  /** The one field at fault when the server names one (`error.field`): a form shows the error next to it. */
  readonly field: string | undefined;
  /** `request_id` of the error body, else the `X-Request-Id` header: quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** The raw error body, with any extra fields (`current_status`, `allowed_from`…). */
  readonly body: unknown;
  /** Response headers, when there was a response. */
  readonly headers: Headers | undefined;

  constructor(init: MetisErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.field = init.field;
    this.requestId = init.requestId;
    this.body = init.body;
    this.headers = init.headers;
  }

  /** Builds the subclass that matches an HTTP error response. */
  static fromResponse(status: number, body: unknown, headers?: Headers): MetisError {
    const error = (body as { error?: Record<string, unknown> } | null | undefined)?.error;
    const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const init: MetisErrorInit = {
      status,
      code: str(error?.code) ?? `http_${status}`,
      message: str(error?.message) ?? `HTTP ${status}`,
      details: Array.isArray(error?.details) ? (error.details as ErrorDetail[]) : undefined,
      field: str(error?.field),
      requestId: str(error?.request_id) ?? headers?.get('x-request-id') ?? undefined,
      body,
      headers,
    };
    const ErrorClass = errorClassByStatus[status] ?? (status >= 500 ? ServerError : MetisError);
    return new ErrorClass(init);
  }
}

/**
 * 400, 411, 413, 415 or 422: the request itself is wrong (`validation_error`, `invalid_path`, `length_required`,
 * `payload_too_large` with `limit_bytes` in `body.error`, `idempotency_key_reused`…).
 */
export class BadRequestError extends MetisError {
  override name = 'BadRequestError';
}
/** 401: missing, invalid, expired or revoked credentials (`unauthorized`), or a failed login (`invalid_credentials`). */
export class AuthenticationError extends MetisError {
  override name = 'AuthenticationError';
}
/**
 * The server ended an event stream because its credentials no longer hold: `code` is `token_revoked` (logout, a
 * password change, a deleted session, API key or account) or `token_expired`. Reconnecting with the same credentials
 * would fail: get new ones. (A stream that reached the server's maximum age reconnects by itself.)
 */
export class StreamEndedError extends AuthenticationError {
  override name = 'StreamEndedError';
}
/** 403: not allowed (`registration_closed`, `insufficient_scope`). */
export class PermissionDeniedError extends MetisError {
  override name = 'PermissionDeniedError';
}
/** 404: no such resource, or not yours. */
export class NotFoundError extends MetisError {
  override name = 'NotFoundError';
}
/** 409: the state forbids it (`invalid_transition`, `conversation_busy`, `email_taken`…). */
export class ConflictError extends MetisError {
  override name = 'ConflictError';
}
/**
 * 429: too many requests (`rate_limited`; the SDK already retried, honouring `Retry-After`), or a per-user quota
 * (`quota_exceeded`, with `quota`, `limit` and `current` in `body.error`; not retried: waiting does not free it).
 */
export class RateLimitError extends MetisError {
  override name = 'RateLimitError';
}
/** 5xx: the server failed; the SDK already retried. */
export class ServerError extends MetisError {
  override name = 'ServerError';
}
/** The server could not be reached, or the connection broke (after retries). */
export class ConnectionError extends MetisError {
  override name = 'ConnectionError';
  constructor(message = 'Connection error', cause?: unknown) {
    super({ code: 'connection_error', message, cause });
  }
}
/** No response within `timeoutMs` (after retries). */
export class TimeoutError extends MetisError {
  override name = 'TimeoutError';
  constructor(message = 'Request timed out', cause?: unknown) {
    super({ code: 'timeout', message, cause });
  }
}
/** The caller aborted the request or stream through its `signal`. */
export class AbortError extends MetisError {
  override name = 'AbortError';
  constructor(message = 'Request aborted', cause?: unknown) {
    super({ code: 'aborted', message, cause });
  }
}

const errorClassByStatus: Record<number, new (init: MetisErrorInit) => MetisError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  411: BadRequestError,
  413: BadRequestError,
  415: BadRequestError,
  422: BadRequestError,
  429: RateLimitError,
};

/** A response that does not match the documented schema: code `invalid_response`. */
export const invalidResponse = (what: string, problem: string, status?: number, headers?: Headers, body?: unknown): MetisError =>
  new MetisError({
    status,
    code: 'invalid_response',
    message: `Invalid response for ${what}: ${problem}`,
    requestId: headers?.get('x-request-id') ?? undefined,
    headers,
    body,
  });

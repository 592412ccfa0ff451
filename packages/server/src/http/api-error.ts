import { ErrorCode, type ErrorDetail } from '@metisai/sdk/schemas';

/**
 * An error a route throws to answer the client: a status, a stable `code`, a human `message`,
 * optional `details` naming fields, and optional extra fields (e.g. `current_status`).
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { details?: ErrorDetail[]; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

/** Another user's resource answers exactly like a missing one. */
export const notFound = (what: string) => new ApiError(404, ErrorCode.notFound, `${what} not found`);

export const validationError = (message: string, details: ErrorDetail[]) => new ApiError(400, ErrorCode.validation, message, { details });

export const rateLimited = (retryAfterSeconds: number) =>
  new ApiError(429, ErrorCode.rateLimited, `Too many requests; retry after ${retryAfterSeconds} s`, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
    extra: { retry_after: retryAfterSeconds },
  });

import { ErrorCode, type ErrorBody, type ErrorDetail } from '@metisai/sdk/schemas';
import {
  AuthenticationError,
  ConflictError,
  DomainError,
  InvalidRequestError,
  LengthRequiredError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  QuotaExceededError,
  RateLimitedError,
  UnprocessableError,
  UnsupportedMediaTypeError,
} from '../errors.ts';

/** The one place where a kind of failure becomes an HTTP status. */
const STATUS_OF: ReadonlyArray<[abstract new (...args: never[]) => DomainError, number]> = [
  [InvalidRequestError, 400],
  [AuthenticationError, 401],
  [PermissionDeniedError, 403],
  [NotFoundError, 404],
  [MethodNotAllowedError, 405],
  [ConflictError, 409],
  [LengthRequiredError, 411],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [UnprocessableError, 422],
  [RateLimitedError, 429],
  [QuotaExceededError, 429],
];

/** Errors of Koa's own helpers (`ctx.throw`, koa-jwt, the body parser) carry an HTTP status. */
interface HttpLikeError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/**
 * The one field every detail concerns (`details[].path`), or undefined when there are none or several. `''` is the
 * request body (or query) as a whole, e.g. a body that is not a JSON object.
 */
export function fieldAtFault(details: readonly ErrorDetail[] | undefined): string | undefined {
  const paths = new Set((details ?? []).map((detail) => detail.path));
  return paths.size === 1 ? [...paths][0] : undefined;
}

/**
 * Maps anything thrown to a status, headers and the error body `{ error: { code, message, field?, details?, request_id, … } }`
 * (`field`: see `fieldAtFault`).
 * Domain errors by class; koa-jwt (401), the body parser (a `SyntaxError` with status 400: malformed JSON; 413: too
 * large) and other `http-errors` by class and status — never by their message. Anything else is a 500 whose message
 * reveals nothing.
 */
export function toErrorResponse(error: unknown, requestId: string): ErrorResponse {
  const response = (status: number, code: string, message: string, rest: Partial<ErrorBody['error']> = {}, headers: Record<string, string> = {}) => ({
    status,
    body: { error: { code, message, ...rest, request_id: requestId } },
    headers,
  });
  if (error instanceof DomainError) {
    const status = STATUS_OF.find(([kind]) => error instanceof kind)?.[1] ?? 500;
    const field = fieldAtFault(error.details);
    return response(
      status,
      error.code,
      error.message,
      { ...error.extra, ...(field === undefined ? {} : { field }), ...(error.details ? { details: error.details } : {}) },
      error.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(error.retryAfterSeconds) },
    );
  }
  const httpError = (error ?? {}) as HttpLikeError;
  const status = httpError.status ?? httpError.statusCode ?? 500;
  if (status === 401) return response(401, ErrorCode.unauthorized, 'Missing, invalid, expired or revoked credentials');
  if (status === 400 && error instanceof SyntaxError) return response(400, ErrorCode.malformedJson, 'The request body is not valid JSON');
  if (status === 413) return response(413, ErrorCode.payloadTooLarge, 'The request body is too large');
  if (status === 415) return response(415, ErrorCode.unsupportedMediaType, 'Send the request body as application/json');
  if (status >= 400 && status < 500 && httpError.expose !== false) {
    return response(status, status === 404 ? ErrorCode.notFound : ErrorCode.badRequest, httpError.message ?? 'Bad request');
  }
  return response(500, ErrorCode.internal, 'Internal server error; the request id identifies it in the server log');
}

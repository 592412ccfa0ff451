import type { Middleware } from 'koa';
import { ErrorCode, type ErrorBody } from '@metisai/sdk/schemas';
import { ApiError } from '../api-error.ts';
import type { AppContext, AppState } from '../app-state.ts';

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** Maps anything thrown to a status and error body; what is not an expected client error is a 500. */
export function toErrorResponse(error: unknown, requestId: string): { status: number; body: ErrorBody; headers: Record<string, string> } {
  const body = (status: number, code: string, message: string, rest: Partial<ErrorBody['error']> = {}) => ({
    status,
    body: { error: { code, message, ...rest, request_id: requestId } },
    headers: {},
  });
  if (error instanceof ApiError) {
    return {
      ...body(error.status, error.code, error.message, { ...error.extra, ...(error.details ? { details: error.details } : {}) }),
      headers: error.headers,
    };
  }
  const httpError = (error ?? {}) as HttpLikeError;
  const status = httpError.status ?? httpError.statusCode ?? 500;
  if (status === 401) return body(401, ErrorCode.unauthorized, 'Missing, invalid, expired or revoked credentials');
  if (httpError.type === 'entity.parse.failed' || (status === 400 && /JSON|Unexpected token|parse/i.test(httpError.message ?? ''))) {
    return body(400, ErrorCode.malformedJson, 'The request body is not valid JSON');
  }
  if (status === 413) return body(413, ErrorCode.payloadTooLarge, 'The request body is too large');
  if (status === 415) return body(415, ErrorCode.unsupportedMediaType, 'Send the request body as application/json');
  if (status >= 400 && status < 500 && httpError.expose !== false) {
    return body(status, status === 404 ? ErrorCode.notFound : 'bad_request', httpError.message ?? 'Bad request');
  }
  return body(500, ErrorCode.internal, 'Internal server error; the request id identifies it in the server log');
}

/** The one place that writes error bodies. 5xx are logged with their stack; client errors are not. */
export const errorBody = (): Middleware<AppState> => async (ctx: AppContext, next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new ApiError(404, ErrorCode.notFound, `No route for ${ctx.method} ${ctx.path}`);
    }
    if (ctx.status === 405 && ctx.body === undefined) {
      throw new ApiError(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
    }
  } catch (error) {
    const response = toErrorResponse(error, ctx.state.requestId);
    if (response.status >= 500) ctx.state.log.error({ err: error }, 'request failed');
    ctx.status = response.status;
    ctx.set(response.headers);
    ctx.body = response.body;
  }
};

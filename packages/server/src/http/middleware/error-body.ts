import type { Middleware } from 'koa';
import { ErrorCode } from '@metisai/sdk/schemas';
import { MethodNotAllowedError, NotFoundError, QuotaExceededError } from '../../errors.ts';
import { logSecurityEvent } from '../../security/security-events.ts';
import type { AppContext, AppState } from '../app-state.ts';
import { toErrorResponse } from '../error-response.ts';

/** The one place that writes error bodies. 5xx are logged with their stack; client errors are not. */
export const errorBody = (): Middleware<AppState> => async (ctx: AppContext, next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new NotFoundError('route', `No route for ${ctx.method} ${ctx.path}`);
    }
    if (ctx.status === 405 && ctx.body === undefined) {
      throw new MethodNotAllowedError(ErrorCode.methodNotAllowed, `${ctx.method} is not allowed on ${ctx.path}`);
    }
  } catch (error) {
    const response = toErrorResponse(error, ctx.state.requestId);
    if (response.status >= 500) ctx.state.log.error({ err: error }, 'request failed');
    if (error instanceof QuotaExceededError) {
      logSecurityEvent(ctx.state.log, 'quota_exceeded', {
        user_id: ctx.state.principal?.userId,
        quota: error.quota,
        limit: error.limit,
        current: error.current,
      });
    }
    ctx.state.errorCode = response.body.error.code;
    ctx.status = response.status;
    ctx.set(response.headers);
    ctx.body = response.body;
  }
};

import type { Middleware } from 'koa';
import { ErrorCode } from '@metisai/sdk/schemas';
import { UnsupportedMediaTypeError } from '../../errors.ts';
import type { AppState } from '../app-state.ts';

/** A body that is not JSON is refused with 415 rather than silently ignored. */
export const jsonOnly = (): Middleware<AppState> => async (ctx, next) => {
  // `ctx.is` answers null when there is no body, false when the body is of another type. An empty body
  // (`Content-Length: 0`, as fetch and curl send on a bare POST) counts as none, whatever its type.
  if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) && ctx.request.length !== 0 && ctx.is('application/json') === false) {
    throw new UnsupportedMediaTypeError(ErrorCode.unsupportedMediaType, 'Send the request body as application/json');
  }
  await next();
};

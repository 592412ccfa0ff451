import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { AppState } from '../app-state.ts';

const ACCEPTED = /^[A-Za-z0-9._:-]{8,128}$/;

/** Gives every request an id (the caller's `X-Request-Id` when sane), a header and a child logger. */
export const requestId =
  (logger: Logger): Middleware<AppState> =>
  async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    ctx.state.requestId = ACCEPTED.test(incoming) ? incoming : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    ctx.state.log = logger.child({ request_id: ctx.state.requestId });
    await next();
  };

import type { Middleware } from 'koa';
import type { AppState } from '../app-state.ts';

/**
 * One structured line per request, with the error body's `code` when there is one (so a refusal such as an embed
 * session's `origin_not_allowed` or `embed_disabled` can be told apart in the log). No bodies, headers or query
 * strings: they may carry secrets.
 */
export const accessLog = (): Middleware<AppState> => async (ctx, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    const ms = Math.round((performance.now() - started) * 10) / 10;
    ctx.state.log.info(
      { method: ctx.method, path: ctx.path, status: ctx.status, ms, ip: ctx.ip, user_id: ctx.state.principal?.userId, code: ctx.state.errorCode },
      'request',
    );
  }
};

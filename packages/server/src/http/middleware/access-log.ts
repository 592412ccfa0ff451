import type { Middleware } from 'koa';
import type { AppState } from '../app-state.ts';

/** One structured line per request. No bodies, headers or query strings: they may carry secrets. */
export const accessLog = (): Middleware<AppState> => async (ctx, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    const ms = Math.round((performance.now() - started) * 10) / 10;
    ctx.state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms, ip: ctx.ip, user_id: ctx.state.principal?.userId }, 'request');
  }
};

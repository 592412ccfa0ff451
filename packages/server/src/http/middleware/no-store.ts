import type { Middleware } from 'koa';
import type { AppState } from '../app-state.ts';

/**
 * `Cache-Control: no-store` on every `/api/` answer (errors included): they carry a user's data and credentials, and
 * no browser or proxy cache may keep them. The event stream sets its own `no-cache`; other paths are left alone.
 */
export const noStore = (): Middleware<AppState> => async (ctx, next) => {
  if (ctx.path.startsWith('/api/')) ctx.set('Cache-Control', 'no-store');
  await next();
};

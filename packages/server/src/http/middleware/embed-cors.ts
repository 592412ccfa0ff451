import type { Middleware } from 'koa';
import type { AppContext, AppState } from '../app-state.ts';

/** The visitor routes: they have CORS of their own, and the global `CORS_ORIGINS` does not apply to them. */
export const isEmbedPath = (path: string) => path === '/api/v1/embed' || path.startsWith('/api/v1/embed/');

const ALLOW_HEADERS = 'Authorization, Content-Type, Idempotency-Key, Last-Event-ID, X-Request-Id';
const EXPOSE_HEADERS = 'X-Request-Id, Retry-After, Idempotent-Replayed';
const ALLOW_METHODS = 'GET, POST, PUT, DELETE, OPTIONS';

/**
 * CORS of `/api/v1/embed/*`: pages of any origin embed agents, so a preflight is answered for any origin (reflected,
 * with `Vary: Origin`) — it grants nothing, the real check is on the actual request. An actual response lets the page
 * read it (`Access-Control-Allow-Origin`) only once that check passed (`allowEmbedOrigin`): the publishable key allows
 * the origin, or the visitor token was minted for it.
 */
export const embedCors = (): Middleware<AppState> => async (ctx, next) => {
  if (!isEmbedPath(ctx.path)) return next();
  ctx.vary('Origin');
  const origin = ctx.get('Origin');
  if (ctx.method === 'OPTIONS' && origin && ctx.get('Access-Control-Request-Method')) {
    ctx.set({
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': ALLOW_METHODS,
      'Access-Control-Allow-Headers': ALLOW_HEADERS,
      'Access-Control-Max-Age': '600',
    });
    ctx.status = 204;
    return;
  }
  await next();
};

/** The request's origin passed the embed check: let the page read this response (visitor routes only). */
export function allowEmbedOrigin(ctx: AppContext, origin: string): void {
  if (!isEmbedPath(ctx.path)) return;
  ctx.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSE_HEADERS });
}

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Router } from '@koa/router';
import type { AppContext, AppState } from '../app-state.ts';

/**
 * The console's Content-Security-Policy: its own scripts, styles, images and API only; no inline script or style, no
 * eval, no frames, no plugins. No `upgrade-insecure-requests` (helmet's default has it): it would send every request
 * of a console opened over plain HTTP on a LAN address (`http://192.168.1.5:3000`) to https, which is not there.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * The console's routes (client-side, history API): a deep link to any of them gets the page, which routes itself.
 * `/settings/*` covers the settings' tabs. Anything else outside the server's own paths is the console's 404 page.
 */
const CONSOLE_ROUTES: readonly RegExp[] = [
  /^\/$/,
  /^\/login$/,
  /^\/register$/,
  /^\/agents$/,
  /^\/agents\/[^/]+$/,
  /^\/agents\/[^/]+\/embed$/,
  /^\/conversations$/,
  /^\/conversations\/[^/]+$/,
  /^\/settings(\/[^/]+)*$/,
  /^\/approvals$/,
];

/** Paths the server answers itself: never the console (an unknown one stays a JSON 404). */
const SERVER_PATHS = /^\/(api|healthz|readyz|metrics|widget|assets)(\/|$)/;

const ASSET_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Whether `pathname` is a console route (history fallback). */
export const isConsoleRoute = (pathname: string): boolean => CONSOLE_ROUTES.some((route) => route.test(pathname));

interface Cached {
  mtimeMs: number;
  body: Buffer;
  etag: string;
}

/**
 * The web console, built into `dir` (`index.html`, `assets/`): `GET /assets/<file>` serves its hashed scripts and
 * styles (immutable), and the console's routes serve `index.html` (history fallback) with the console's CSP. A browser
 * navigation (`Accept: text/html`) to any other path outside `/api`, `/healthz`, `/readyz`, `/metrics`, `/widget` and
 * `/assets` gets the page with status 404 (the console shows its 404 page); other requests keep the JSON 404. An
 * unbuilt console answers 404 for its routes, with a warning in the log.
 */
export function consoleRouter(dir: string | undefined): Router<AppState> {
  const router = new Router<AppState>();
  const cache = new Map<string, Cached>();

  const load = async (file: string): Promise<Cached | undefined> => {
    if (!dir) return undefined;
    const full = path.join(dir, file);
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const cached = cache.get(file);
    if (cached?.mtimeMs === info.mtimeMs) return cached;
    const body = await readFile(full);
    const entry = { mtimeMs: info.mtimeMs, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    cache.set(file, entry);
    return entry;
  };

  const send = (ctx: AppContext, entry: Cached, type: string) => {
    ctx.type = type;
    ctx.etag = entry.etag;
    if (ctx.status === 200 && ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = entry.body;
  };

  router.get('/assets/:file', async (ctx, next) => {
    const file = (ctx.params as { file: string }).file;
    const type = ASSET_TYPES[path.extname(file)];
    const entry = type && !file.includes('..') ? await load(path.join('assets', file)) : undefined;
    if (!entry) return next();
    // Hashed names: a new build has new names.
    ctx.set('Cache-Control', file === 'favicon.svg' ? 'public, max-age=86400' : 'public, max-age=31536000, immutable');
    ctx.status = 200;
    send(ctx, entry, type!);
  });

  router.get(/.*/, async (ctx, next) => {
    const isRoute = isConsoleRoute(ctx.path);
    const isNavigation = !SERVER_PATHS.test(ctx.path) && ctx.accepts('html', 'json') === 'html' && ctx.get('Accept').includes('text/html');
    if (!isRoute && !isNavigation) return next();
    const entry = await load('index.html');
    if (!entry) {
      ctx.state.log.warn({ dir }, 'console not built: run `npm run build -w @metisai/widget` (npm start builds it when stale)');
      return next();
    }
    ctx.set({ 'Content-Security-Policy': CONSOLE_CSP, 'Cache-Control': 'no-cache' });
    ctx.status = isRoute ? 200 : 404;
    send(ctx, entry, 'text/html; charset=utf-8');
  });
  return router;
}

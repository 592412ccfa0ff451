import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Router } from '@koa/router';
import { NotFoundError } from '../../errors.ts';
import type { AppState } from '../app-state.ts';
import type { WidgetBuild } from '../widget-build.ts';

/** The files served, by name: the ES module and the single-file IIFE. */
export const WIDGET_FILES = ['metis-chat.js', 'metis-chat.iife.js'] as const;

export interface WidgetRouteOptions {
  /** `Cache-Control: public, max-age=31536000, immutable` (the version is in the URL); else `no-cache` + ETag (development, where rebuilds keep the version). */
  isImmutable: boolean;
}

/**
 * `GET /widget/<version>/metis-chat.js` and `…/metis-chat.iife.js`: the embeddable widget, for any page to load.
 * Outside `/api`: no credentials, no JSON. These responses alone override helmet's same-origin policy
 * (`Cross-Origin-Resource-Policy: cross-origin`, `Access-Control-Allow-Origin: *`), so pages on other origins can
 * load the script, as a module (CORS) too. Another version, another file, or an unbuilt widget is a 404.
 */
export function widgetRouter(build: WidgetBuild | undefined, options: WidgetRouteOptions): Router<AppState> {
  const router = new Router<AppState>();
  const cache = new Map<string, { mtimeMs: number; body: Buffer; etag: string }>();

  const load = async (file: string) => {
    const full = path.join(build!.dir, file);
    const info = await stat(full).catch(() => undefined);
    if (!info) return undefined;
    const cached = cache.get(file);
    if (cached?.mtimeMs === info.mtimeMs) return cached;
    const body = await readFile(full);
    const entry = { mtimeMs: info.mtimeMs, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    cache.set(file, entry);
    return entry;
  };

  router.get('/widget/:version/:file', async (ctx) => {
    const { version, file } = ctx.params as { version: string; file: string };
    if (!build || version !== build.version || !(WIDGET_FILES as readonly string[]).includes(file)) {
      throw new NotFoundError(
        'file',
        build ? `No widget file ${ctx.path}: this server serves /widget/${build.version}/{${WIDGET_FILES.join(',')}}` : 'The widget is not installed',
      );
    }
    const entry = await load(file);
    if (!entry) {
      ctx.state.log.warn({ dir: build.dir }, 'widget not built: run `npm run build -w @metisai/widget`');
      throw new NotFoundError('file', 'The widget is not built on this server');
    }
    ctx.set({
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': options.isImmutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    ctx.status = 200;
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.etag = entry.etag;
    // `fresh` compares If-None-Match with the ETag, for a 2xx response.
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = entry.body;
  });
  return router;
}

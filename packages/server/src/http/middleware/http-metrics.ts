import type { Middleware } from 'koa';
import type { Metrics } from '../../metrics/metrics.ts';

/**
 * Times every request for `metisai_http_request_duration_seconds`, labelled with the route template the router matched
 * (`/api/v1/conversations/:id/events`; `unmatched` when none did, so raw paths never become label values).
 */
export function httpMetrics(metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeHttp(ctx.method, typeof route === 'string' ? route : 'unmatched', ctx.status, seconds);
    }
  };
}

import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { ErrorCode } from '@metisai/sdk/schemas';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors.ts';
import type { AppState } from '../app-state.ts';
import type { Endpoint } from '../endpoint.ts';
import { bodyNotAnObject } from '../validate.ts';

/** `{value}` when `text` is JSON whose value is not an object or array, else undefined. */
function scalarJson(text: unknown): { value: unknown } | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value === null || typeof value !== 'object' ? { value } : undefined;
  } catch {
    return undefined;
  }
}

/** `/agents/:id/start` → a pattern for the request path under `/api/v1`. */
const patternOf = (path: string) => new RegExp(`^/api/v1${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}/?$`);

/**
 * Request bodies by route, from the endpoint specs: a route with `rawBody` gets its bytes untouched (the handler streams
 * them); every other route takes JSON only — a body of another type is refused with 415 rather than silently ignored —
 * parsed up to its `bodyLimitBytes` or `defaultLimitBytes` (larger: 413 with `limit_bytes`); JSON that is not an object
 * or array is a 400 `validation_error` on the body (`bodyNotAnObject`), not `malformed_json`.
 */
export function requestBody(endpoints: readonly Endpoint[], defaultLimitBytes: number): Middleware<AppState> {
  const routes = endpoints.map((spec) => ({ method: spec.method.toUpperCase(), pattern: patternOf(spec.path), spec }));
  const parsers = new Map<number, Middleware<AppState>>();
  const parserFor = (limit: number) => {
    let parser = parsers.get(limit);
    if (!parser) {
      parser = bodyParser({
        enableTypes: ['json'],
        jsonLimit: limit,
        jsonStrict: true,
        encoding: 'utf-8',
        // DELETE /auth/profile carries the password.
        parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
      }) as unknown as Middleware<AppState>;
      parsers.set(limit, parser);
    }
    return parser;
  };
  return async (ctx, next) => {
    const spec = routes.find((route) => route.method === ctx.method && route.pattern.test(ctx.path))?.spec;
    if (spec?.rawBody) return next();
    // `ctx.is` answers null when there is no body, false when the body is of another type. An empty body
    // (`Content-Length: 0`, as fetch and curl send on a bare POST) counts as none, whatever its type.
    if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) && ctx.request.length !== 0 && ctx.is('application/json') === false) {
      throw new UnsupportedMediaTypeError(ErrorCode.unsupportedMediaType, 'Send the request body as application/json');
    }
    const limit = spec?.bodyLimitBytes ?? defaultLimitBytes;
    let isParsed = false;
    try {
      await parserFor(limit)(ctx, async () => {
        isParsed = true;
        await next();
      });
    } catch (error) {
      if (!isParsed && (error as { status?: number }).status === 413) {
        throw new PayloadTooLargeError(ErrorCode.payloadTooLarge, `The request body is larger than ${limit} bytes`, { extra: { limit_bytes: limit } });
      }
      // The parser's strict mode refuses JSON that is not an object or array (`"a"`, `42`, `true`, `null`) as a syntax
      // error: it is valid JSON of the wrong kind, said as such. (What it refuses for `__proto__` parses as an object.)
      const scalar = !isParsed && error instanceof SyntaxError ? scalarJson((error as { body?: unknown }).body) : undefined;
      if (scalar) throw bodyNotAnObject(scalar.value);
      throw error;
    }
  };
}

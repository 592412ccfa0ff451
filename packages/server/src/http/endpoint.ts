import type { z } from 'zod/mini';
import type { AppContext } from './app-state.ts';

type Schema = z.ZodMiniType;
type Out<S> = S extends Schema ? z.output<S> : undefined;

export interface EndpointResponse {
  description: string;
  schema?: Schema;
  /** Content type when not JSON (e.g. `text/event-stream`). */
  contentType?: string;
  /** The same status in other content types, chosen by the request's `Accept` (e.g. JSON or `text/event-stream`). */
  alternatives?: { contentType: string; schema?: Schema }[];
  /** The body is bytes (a file, an archive) of `contentType`, not JSON. */
  isBinary?: boolean;
  /** Response headers worth documenting (`Content-Disposition`, …): name → description. */
  headers?: Record<string, string>;
}

/** A request body that is not JSON: the handler streams it from `ctx.req` itself; nothing parses or buffers it. */
export interface RawRequestBody {
  /** What OpenAPI says it takes (any type is accepted). */
  contentType: string;
  description: string;
}

/** One route: what it takes and answers (validation and the OpenAPI document come from here) and its handler. */
export interface Endpoint<B extends Schema | undefined = Schema | undefined, Q extends Schema | undefined = Schema | undefined> {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Koa-router path relative to `/api/v1`, e.g. `/agents/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** Public routes take no credentials. */
  isPublic?: boolean;
  body?: B;
  /** JSON body limit of this route in bytes, instead of `BODY_LIMIT_BYTES` (a larger document such as an import). */
  bodyLimitBytes?: number;
  /** The route takes raw bytes (`body` must be unset): the JSON-only rule and the body parser skip it. */
  rawBody?: RawRequestBody;
  query?: Q;
  responses: Record<number, EndpointResponse>;
  handler: (ctx: AppContext, input: { body: Out<B>; query: Out<Q>; params: Record<string, string> }) => Promise<void> | void;
}

/** Declares an endpoint with its types inferred from its schemas. */
export const endpoint = <B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined>(spec: Endpoint<B, Q>) =>
  spec as unknown as Endpoint;

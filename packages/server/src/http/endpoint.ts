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
  query?: Q;
  responses: Record<number, EndpointResponse>;
  handler: (ctx: AppContext, input: { body: Out<B>; query: Out<Q>; params: Record<string, string> }) => Promise<void> | void;
}

/** Declares an endpoint with its types inferred from its schemas. */
export const endpoint = <B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined>(spec: Endpoint<B, Q>) =>
  spec as unknown as Endpoint;

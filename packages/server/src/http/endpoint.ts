import type { z } from 'zod/mini';
import type { RequiredScope } from '@metisai/sdk/schemas';
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

/**
 * How a route meets an API key restricted to some agents (`agent_ids`), checked before the handler runs:
 * - `agent`: the path's `:id` is an agent, which must be one of them (else 404, as if it were not the user's);
 * - `conversation`: the path's `:id` is a conversation, whose agent must be one of them (else 404);
 * - `body`: the body's `agent_id` must be one of them (else 404);
 * - `filtered`: the handler lists only what belongs to them (it passes `principal.agentIds` to the service);
 * - `any`: the route concerns no agent's resources (the caller's profile).
 * Without it, a restricted key gets 403 `insufficient_scope`: the route reaches resources of every agent.
 */
export type AgentAccess = 'agent' | 'conversation' | 'body' | 'filtered' | 'any';

/** One route: what it takes and answers (validation and the OpenAPI document come from here) and its handler. */
export interface Endpoint<B extends Schema | undefined = Schema | undefined, Q extends Schema | undefined = Schema | undefined> {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Koa-router path relative to `/api/v1`, e.g. `/agents/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** Public routes take no credentials. */
  isPublic?: boolean;
  /**
   * What the caller needs (every non-public route names it): a key scope, or `session` (no API key may). Enforced in
   * one place, `http/routes/index.ts`, and shown in the OpenAPI document (`x-required-scope`).
   */
  scope?: RequiredScope;
  /** How an API key restricted to some agents may use the route (see `AgentAccess`). */
  agentAccess?: AgentAccess;
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

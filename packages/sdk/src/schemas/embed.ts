import * as z from 'zod/mini';
import { IdSchema, TimestampSchema } from './common.ts';

const isLoopbackHost = (hostname: string) => hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

/**
 * Why `value` is not a web origin a publishable key may allow, or undefined when it is one: exactly
 * `scheme://host[:port]` as browsers send it in `Origin` (lower case, no path, no trailing slash, no default port),
 * `https`, or `http` only for `localhost` and loopback addresses; no wildcards (`https://*.example.com`).
 */
export function originProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'must be an origin such as https://app.example.com';
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) origin';
  if (url.origin !== value) return `must be written exactly as browsers send it: ${url.origin}`;
  // URL parsing takes `*` in a host name, but no browser sends one: `https://*.example.com` would allow nothing.
  if (url.hostname.includes('*')) return 'must name one exact origin: wildcards are not allowed (list each origin)';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'must use https (plain http is allowed for localhost and loopback addresses only)';
  return undefined;
}

/** A web origin (see `originProblem`). */
export const OriginSchema = z.string().check(
  z.maxLength(300),
  z.superRefine((value, context) => {
    const problem = originProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem, input: value });
  }),
);

/**
 * A publishable key (`pk_…`) lets web pages on its `allowed_origins` open visitor sessions with one agent. It is public
 * (it sits in the page): what it grants is bounded by the agent's embed policy. Always shown to its owner.
 */
export const PublishableKeySchema = z.object({
  id: IdSchema,
  agent_id: IdSchema,
  key: z.string(),
  allowed_origins: z.array(z.string()),
  created_at: TimestampSchema,
  /** When the key was last rotated (its value replaced), or null. */
  rotated_at: z.nullable(TimestampSchema),
});
export type PublishableKey = z.infer<typeof PublishableKeySchema>;

const AllowedOriginsSchema = z.array(OriginSchema).check(z.minLength(1), z.maxLength(20));

/** `POST /agents/{id}/publishable-keys`. */
export const PublishableKeyCreateParamsSchema = z.strictObject({
  allowed_origins: AllowedOriginsSchema,
});
export type PublishableKeyCreateParams = z.input<typeof PublishableKeyCreateParamsSchema>;

/** `PUT /agents/{id}/publishable-keys/{key_id}`: replaces the origins (open visitor tokens go stale). */
export const PublishableKeyUpdateParamsSchema = z.strictObject({
  allowed_origins: AllowedOriginsSchema,
});
export type PublishableKeyUpdateParams = z.input<typeof PublishableKeyUpdateParamsSchema>;

/** A visitor as the widget keeps it: the public `id` and the secret `resume_key` that proves it is the same visitor. */
export const VisitorCredentialsSchema = z.strictObject({
  id: IdSchema,
  resume_key: z.string().check(z.minLength(1), z.maxLength(200)),
});
export type VisitorCredentials = z.infer<typeof VisitorCredentialsSchema>;

/**
 * `POST /embed/sessions` (from a web page; its `Origin` must be one the key allows). Without `visitor`, or with a pair
 * that does not match, a new visitor is created.
 */
export const EmbedSessionCreateParamsSchema = z.strictObject({
  publishable_key: z.string().check(z.minLength(1), z.maxLength(200)),
  visitor: z.optional(VisitorCredentialsSchema),
});
export type EmbedSessionCreateParams = z.input<typeof EmbedSessionCreateParamsSchema>;

/**
 * A visitor session: a short-lived `token` (a JWT, at most 15 minutes) for the `/embed/…` routes, valid from the origin
 * it was opened from only, and the visitor to present next time (keep `resume_key` secret: with `id` it reopens the
 * visitor's conversations).
 */
export const EmbedSessionSchema = z.object({
  token: z.string(),
  expires_at: TimestampSchema,
  visitor: z.object({ id: IdSchema, resume_key: z.string() }),
});
export type EmbedSession = z.infer<typeof EmbedSessionSchema>;

/**
 * `POST /agents/{id}/embed-tokens`, from an app's backend with an API key of scope `embed:mint`: a visitor token for
 * one of the app's users (`user_ref`, the app's own id for them: the same `user_ref` is the same visitor), valid from
 * `origin` (one the agent's publishable keys allow) for `ttl` seconds.
 */
export const EmbedTokenCreateParamsSchema = z.strictObject({
  user_ref: z.string().check(z.minLength(1), z.maxLength(128)),
  origin: OriginSchema,
  ttl: z._default(z.number().check(z.int(), z.gte(60), z.lte(24 * 3600)), 900),
});
export type EmbedTokenCreateParams = z.input<typeof EmbedTokenCreateParamsSchema>;

export const EmbedTokenSchema = z.object({
  token: z.string(),
  expires_at: TimestampSchema,
  visitor: z.object({ id: IdSchema }),
});
export type EmbedToken = z.infer<typeof EmbedTokenSchema>;

/** `POST /embed/conversations`: a new conversation of the visitor with the token's agent. */
export const VisitorConversationCreateParamsSchema = z.strictObject({
  title: z.optional(z.nullable(z.string().check(z.trim(), z.maxLength(200)))),
});
export type VisitorConversationCreateParams = z.input<typeof VisitorConversationCreateParamsSchema>;

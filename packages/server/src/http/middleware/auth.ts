import type { KeyObject } from 'node:crypto';
import type { Middleware } from 'koa';
import koaJwt from 'koa-jwt';
import compose from 'koa-compose';
import type { AppContext, AppState } from '../app-state.ts';
import type { TokenBuckets } from '../../db/token-buckets.ts';
import { RateLimitedError } from '../../errors.ts';
import { logSecurityEvent } from '../../security/security-events.ts';
import type { ApiKeyService } from '../../services/api-keys.ts';
import { API_KEY_PREFIX } from '../../services/api-keys.ts';
import type { AuthService } from '../../services/auth.ts';
import { JWT_ALGORITHM, JWT_ISSUER } from '../../services/tokens.ts';
import type { VisitorService } from '../../services/visitors.ts';
import { looksLikeVisitorToken, verifyVisitorToken } from '../../security/embed-tokens.ts';
import { allowEmbedOrigin } from './embed-cors.ts';

export interface AuthOptions {
  jwtKey: KeyObject;
  /** Verifies visitor tokens (their own key and `aud`). */
  embedKey: KeyObject;
  auth: AuthService;
  apiKeys: ApiKeyService;
  /** Checks a visitor token against the agent's current embed policy. */
  visitors: VisitorService;
  /** The shared rate limits (Postgres). */
  buckets: TokenBuckets;
  /** Requests per user and window; 0 = no limit. */
  perUserLimit: number;
  /** Failed credential checks per client IP and window. */
  failedPerIp: number;
  windowSeconds: number;
}

const bearer = (header: string) => /^Bearer\s+(\S+)$/i.exec(header)?.[1];

const isStatus401 = (error: unknown) => (error as { status?: number }).status === 401;

/**
 * `Authorization: Bearer <token>` where the token is a session JWT (koa-jwt, HS256 only, issuer and expiry
 * checked, no `aud`, session not revoked), an API key (`metis_…`), or a visitor token (its own key, `aud`
 * `metisai:embed`: see `security/embed-tokens.ts`; it must come from the `Origin` it was minted for — else 403
 * `origin_required` / `origin_not_allowed` — and at the agent's current policy generation — else 401 `token_stale`).
 * Sets `ctx.state.principal`. Failed checks (a bad, expired or revoked token, an unknown key) are counted per client
 * IP in Postgres: past `failedPerIp` in a window the IP gets 429 before its credentials are even looked at, in every
 * process. Authenticated requests are limited per user (per visitor for visitor tokens).
 */
export function authenticate(options: AuthOptions): Middleware<AppState> {
  const jwt = koaJwt({
    secret: options.jwtKey as unknown as Buffer, // jsonwebtoken takes a KeyObject; koa-jwt's types predate it
    algorithms: [JWT_ALGORITHM],
    issuer: JWT_ISSUER,
    isRevoked: async (ctx, decoded) => {
      const { sub, jti, aud } = decoded as { sub?: string; jti?: string; aud?: unknown };
      // Session tokens carry no audience: a token with one (a visitor's, whatever its key) is never a session.
      if (!sub || !jti || aud !== undefined) return true;
      return !(await options.auth.isSessionActive((ctx.state as AppState).em, jti, sub));
    },
  }) as unknown as Middleware<AppState>;

  const window = { capacity: options.failedPerIp, windowSeconds: options.windowSeconds };
  /** IPs whose failed-credential bucket was found empty, until when (ms): refused here without a database round trip. */
  const blocked = new Map<string, number>();

  const refuseIfBlocked = (ctx: AppContext) => {
    const until = blocked.get(ctx.ip);
    if (until === undefined) return;
    if (until > Date.now()) throw new RateLimitedError(Math.max(1, Math.ceil((until - Date.now()) / 1000)));
    blocked.delete(ctx.ip);
  };

  /** Counts a failed credential check of this IP; answers 429 instead of 401 once its bucket is empty. */
  const failed = async (ctx: AppContext, kind: 'api_key' | 'token' | 'visitor_token', error: unknown): Promise<never> => {
    logSecurityEvent(ctx.state.log, 'auth_failed', { credential: kind, ip: ctx.ip, path: ctx.path });
    const verdict = await options.buckets.take(ctx.state.em, `auth-failed:ip:${ctx.ip}`, window);
    if (!verdict.allowed) {
      if (blocked.size > 10_000) blocked.clear();
      blocked.set(ctx.ip, Date.now() + verdict.retryAfterSeconds * 1000);
      logSecurityEvent(ctx.state.log, 'rate_limited', { limit: 'auth-failed:ip', ip: ctx.ip });
      throw new RateLimitedError(verdict.retryAfterSeconds);
    }
    throw error;
  };

  const credentials: Middleware<AppState> = async (ctx, next) => {
    refuseIfBlocked(ctx);
    const token = bearer(ctx.get('Authorization'));
    if (token?.startsWith(API_KEY_PREFIX)) {
      const key = await options.apiKeys.authenticate(ctx.state.em, token);
      if (!key) return failed(ctx, 'api_key', Object.assign(new Error('invalid API key'), { status: 401 }));
      ctx.state.principal = {
        kind: 'user',
        userId: key.userId,
        sessionId: null,
        apiKeyId: key.id,
        scopes: key.scopes,
        agentIds: key.agentIds ?? null,
        expiresAt: key.expiresAt ?? null,
      };
      return next();
    }
    if (token && looksLikeVisitorToken(token)) {
      const claims = verifyVisitorToken(options.embedKey, token);
      if (!claims) return failed(ctx, 'visitor_token', Object.assign(new Error('invalid visitor token'), { status: 401 }));
      // Replayed from another page: refused before anything is looked up.
      options.visitors.checkOrigin(ctx.get('Origin'), claims.origin);
      // The page of the token's origin may read what follows, a 401 `token_stale` included: without it a browser sees
      // a CORS failure, not the 401 that tells its client to open a new visitor session.
      allowEmbedOrigin(ctx, claims.origin);
      const ownerId = await options.visitors.authenticate(ctx.state.em, claims);
      ctx.state.principal = { kind: 'visitor', userId: ownerId, ...claims };
      return next();
    }
    let isAuthenticated = false;
    try {
      await jwt(ctx, async () => {
        isAuthenticated = true;
        const { sub, jti, exp } = ctx.state.user! as { sub: string; jti: string; exp?: number };
        ctx.state.principal = {
          kind: 'user',
          userId: sub,
          sessionId: jti,
          apiKeyId: null,
          scopes: null,
          agentIds: null,
          expiresAt: exp ? new Date(exp * 1000) : null,
        };
        await next();
      });
    } catch (error) {
      // Only the credential check counts as a failure, not a 401 thrown further down.
      if (!isAuthenticated && isStatus401(error) && token) return failed(ctx, 'token', error);
      throw error;
    }
  };

  const perUser: Middleware<AppState> = async (ctx, next) => {
    if (options.perUserLimit > 0) {
      const principal = ctx.state.principal;
      // A visitor's requests are not the owner's: each visitor has a bucket of its own.
      const bucket = principal.kind === 'visitor' ? `api:visitor:${principal.visitorId}` : `api:user:${principal.userId}`;
      const verdict = await options.buckets.take(ctx.state.em, bucket, {
        capacity: options.perUserLimit,
        windowSeconds: options.windowSeconds,
      });
      if (!verdict.allowed) {
        logSecurityEvent(ctx.state.log, 'rate_limited', { limit: bucket.split(':').slice(0, 2).join(':'), user_id: principal.userId });
        throw new RateLimitedError(verdict.retryAfterSeconds);
      }
    }
    await next();
  };

  return compose([credentials, perUser]);
}

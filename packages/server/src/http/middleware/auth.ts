import type { KeyObject } from 'node:crypto';
import type { Middleware } from 'koa';
import koaJwt from 'koa-jwt';
import compose from 'koa-compose';
import type { AppState } from '../app-state.ts';
import { RateLimitedError } from '../../errors.ts';
import { RateLimiter } from '../../security/rate-limiter.ts';
import type { ApiKeyService } from '../../services/api-keys.ts';
import { API_KEY_PREFIX } from '../../services/api-keys.ts';
import type { AuthService } from '../../services/auth.ts';
import { JWT_ALGORITHM, JWT_ISSUER } from '../../services/tokens.ts';

export interface AuthOptions {
  jwtKey: KeyObject;
  auth: AuthService;
  apiKeys: ApiKeyService;
  /** Requests per user and window; 0 = no limit. */
  perUserLimit: number;
  windowSeconds: number;
}

const bearer = (header: string) => /^Bearer\s+(\S+)$/i.exec(header)?.[1];

/**
 * `Authorization: Bearer <token>` where the token is a session JWT (koa-jwt, HS256 only, issuer and expiry
 * checked, session not revoked) or an API key (`metis_…`). Sets `ctx.state.principal`.
 */
export function authenticate(options: AuthOptions): Middleware<AppState> {
  const jwt = koaJwt({
    secret: options.jwtKey as unknown as Buffer, // jsonwebtoken takes a KeyObject; koa-jwt's types predate it
    algorithms: [JWT_ALGORITHM],
    issuer: JWT_ISSUER,
    isRevoked: async (ctx, decoded) => {
      const { sub, jti } = decoded as { sub?: string; jti?: string };
      if (!sub || !jti) return true;
      return !(await options.auth.isSessionActive((ctx.state as AppState).em, jti, sub));
    },
  }) as unknown as Middleware<AppState>;

  const apiKey: Middleware<AppState> = async (ctx, next) => {
    const token = bearer(ctx.get('Authorization'));
    if (token?.startsWith(API_KEY_PREFIX)) {
      const key = await options.apiKeys.authenticate(ctx.state.em, token);
      if (!key) return ctx.throw(401);
      ctx.state.principal = { userId: key.userId, sessionId: null, apiKeyId: key.id };
      return next();
    }
    return jwt(ctx, async () => {
      const { sub, jti } = ctx.state.user!;
      ctx.state.principal = { userId: sub, sessionId: jti, apiKeyId: null };
      await next();
    });
  };

  const limiter = new RateLimiter(options.perUserLimit, options.windowSeconds);
  const perUser: Middleware<AppState> = async (ctx, next) => {
    if (options.perUserLimit > 0) {
      const verdict = limiter.hit(ctx.state.principal.userId);
      if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
    }
    await next();
  };

  return compose([apiKey, perUser]);
}

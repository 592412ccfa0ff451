import type { EntityManager } from '@mikro-orm/postgresql';
import type { ParameterizedContext } from 'koa';
import type { Logger } from 'pino';

/** Who is calling: a user through a session token or one of their API keys. */
export interface Principal {
  userId: string;
  /** The `jti` of the access token, when the call came with one. */
  sessionId: string | null;
  apiKeyId: string | null;
}

export interface AppState {
  requestId: string;
  log: Logger;
  em: EntityManager;
  /** Set by the auth middleware on every protected route. */
  principal: Principal;
  /** The decoded JWT, set by koa-jwt. */
  user?: { sub: string; jti: string };
}

export type AppContext = ParameterizedContext<AppState>;

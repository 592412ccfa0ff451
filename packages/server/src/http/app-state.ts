import type { EntityManager } from '@mikro-orm/postgresql';
import type { ParameterizedContext } from 'koa';
import type { Logger } from 'pino';
import type { Principal } from '../security/principal.ts';

export type { Principal } from '../security/principal.ts';

export interface AppState {
  requestId: string;
  log: Logger;
  em: EntityManager;
  /** Set by the auth middleware on every protected route. */
  principal: Principal;
  /** The decoded JWT, set by koa-jwt. */
  user?: { sub: string; jti: string };
  /** The `code` of the error body this request was answered with (set by `errorBody`, logged by `accessLog`). */
  errorCode?: string;
}

export type AppContext = ParameterizedContext<AppState>;

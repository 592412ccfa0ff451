import type { RequestOptions } from '../core/request-options.ts';
import type { MetisClient } from '../client.ts';
import {
  AuthTokenSchema,
  UserSchema,
  type AccountDeleteParams,
  type AuthToken,
  type LoginParams,
  type PasswordChangeParams,
  type RegisterParams,
  type User,
} from '../schemas/auth.ts';
import { APIResource } from './resource.ts';
import { Sessions } from './sessions.ts';

/** `/api/v1/auth`: accounts and access tokens. */
export class Auth extends APIResource {
  /** `/auth/sessions`: the account's signed-in sessions (needs a session, not an API key). */
  readonly sessions: Sessions;

  /** @internal */
  constructor(client: MetisClient) {
    super(client);
    this.sessions = new Sessions(client);
  }

  /**
   * Creates an account (`POST /auth/register`) and stores the returned access token in the client, so the next calls
   * are authenticated. Throws `PermissionDeniedError` (`registration_closed`) or `ConflictError` (`email_taken`).
   */
  async register(params: RegisterParams, options?: RequestOptions): Promise<AuthToken> {
    const token = await this.client.request({ ...options, method: 'post', path: '/auth/register', body: params, schema: AuthTokenSchema });
    this.client.setToken(token.access_token);
    return token;
  }

  /**
   * Exchanges email and password for an access token (`POST /auth/login`) and stores it in the client.
   * Throws `AuthenticationError` (`invalid_credentials`), or `RateLimitError` after too many attempts.
   */
  async login(params: LoginParams, options?: RequestOptions): Promise<AuthToken> {
    const token = await this.client.request({ ...options, method: 'post', path: '/auth/login', body: params, schema: AuthTokenSchema });
    this.client.setToken(token.access_token);
    return token;
  }

  /** Revokes the access token in use (`POST /auth/logout`) and forgets it. */
  async logout(options?: RequestOptions): Promise<void> {
    await this.client.request({ ...options, method: 'post', path: '/auth/logout' });
    this.client.setToken(undefined);
  }

  /** The calling user (`GET /auth/profile`). */
  profile(options?: RequestOptions): Promise<User> {
    return this.client.request({ ...options, method: 'get', path: '/auth/profile', schema: UserSchema });
  }

  /**
   * Changes the password (`PUT /auth/password`). The token in use keeps working; every other token and every API key
   * of the user is revoked. A wrong current password is a `BadRequestError` whose `details[0].path` is
   * `current_password`. Needs a session (an API key gets `PermissionDeniedError` `insufficient_scope`).
   */
  changePassword(params: PasswordChangeParams, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'put', path: '/auth/password', body: params });
  }

  /**
   * Deletes the account and everything it owns (`DELETE /auth/profile`), then forgets the token. Asks for the password
   * again: a wrong one is a `BadRequestError` whose `details[0].path` is `password`. Needs a session.
   */
  async deleteAccount(params: AccountDeleteParams, options?: RequestOptions): Promise<void> {
    await this.client.request({ ...options, method: 'delete', path: '/auth/profile', body: params });
    this.client.setToken(undefined);
  }
}

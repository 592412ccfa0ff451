import type { RequestOptions } from '../core/request-options.ts';
import { AuthTokenSchema, UserSchema, type AuthToken, type LoginParams, type PasswordChangeParams, type RegisterParams, type User } from '../schemas/auth.ts';
import { APIResource } from './resource.ts';

/** `/api/v1/auth`: accounts and access tokens. */
export class Auth extends APIResource {
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
   * Changes the password (`PUT /auth/password`). The token in use keeps working; every other token of the user is
   * revoked. A wrong current password is a `BadRequestError` whose `details[0].path` is `current_password`.
   */
  changePassword(params: PasswordChangeParams, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'put', path: '/auth/password', body: params });
  }

  /** Deletes the account and everything it owns (`DELETE /auth/profile`), then forgets the token. */
  async deleteAccount(options?: RequestOptions): Promise<void> {
    await this.client.request({ ...options, method: 'delete', path: '/auth/profile' });
    this.client.setToken(undefined);
  }
}

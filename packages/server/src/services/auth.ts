import bcrypt from 'bcrypt';
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ErrorCode, type AuthToken, type LoginParams, type PasswordChangeParams, type RegisterParams } from '@metisai/sdk/schemas';
import type { Config } from '../config.ts';
import { SessionEntity, UserEntity, type User } from '../entities/index.ts';
import { AuthenticationError, ConflictError, InvalidRequestError, PermissionDeniedError, RateLimitedError } from '../errors.ts';
import type { Principal } from '../security/principal.ts';
import { RateLimiter } from '../security/rate-limiter.ts';
import type { Keys } from '../security/keys.ts';
import { uuid7 } from '../security/uuid7.ts';
import { signAccessToken } from './tokens.ts';
import { toUserJson } from './users.ts';

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';
const invalidCredentials = () => new AuthenticationError(ErrorCode.invalidCredentials, 'Incorrect email or password');

export class AuthService {
  readonly #config: Config;
  readonly #keys: Keys;
  readonly #loginPerIp: RateLimiter;
  readonly #loginPerEmail: RateLimiter;
  readonly #registerPerIp: RateLimiter;
  /** Compared against when the email is unknown, so both failures take the same time. */
  readonly #dummyHash: Promise<string>;

  constructor(config: Config, keys: Keys) {
    this.#config = config;
    this.#keys = keys;
    const { windowSeconds, loginPerIp, loginPerEmail, registerPerIp } = config.rateLimit;
    this.#loginPerIp = new RateLimiter(loginPerIp, windowSeconds);
    this.#loginPerEmail = new RateLimiter(loginPerEmail, windowSeconds);
    this.#registerPerIp = new RateLimiter(registerPerIp, windowSeconds);
    this.#dummyHash = bcrypt.hash('metisai-timing-equaliser', config.bcryptCost);
  }

  async register(em: EntityManager, params: RegisterParams, ip: string): Promise<AuthToken> {
    if (!this.#config.allowRegistration) {
      throw new PermissionDeniedError(ErrorCode.registrationClosed, 'Registration is closed on this server');
    }
    this.#limit(this.#registerPerIp, ip);
    const email = params.email.trim();
    if (await this.#findByEmail(em, email)) throw this.#emailTaken();
    const user = em.create(UserEntity, {
      id: uuid7(),
      email,
      passwordHash: await bcrypt.hash(params.password, this.#config.bcryptCost),
      name: params.name ? params.name : null,
    });
    try {
      await em.flush();
    } catch (error) {
      if (isUniqueViolation(error)) throw this.#emailTaken();
      throw error;
    }
    return this.#issueToken(em, user);
  }

  async login(em: EntityManager, params: LoginParams, ip: string): Promise<AuthToken> {
    const email = params.email.trim();
    this.#limit(this.#loginPerIp, ip);
    this.#limit(this.#loginPerEmail, email.toLowerCase());
    const user = await this.#findByEmail(em, email);
    const matches = await bcrypt.compare(params.password, user?.passwordHash ?? (await this.#dummyHash));
    if (!user || !matches) throw invalidCredentials();
    return this.#issueToken(em, user);
  }

  async logout(em: EntityManager, principal: Principal): Promise<void> {
    if (!principal.sessionId) {
      throw new InvalidRequestError(ErrorCode.notASession, 'This request was authenticated with an API key; delete the key through /api/v1/api-keys instead');
    }
    await em.nativeUpdate(SessionEntity, { id: principal.sessionId, revokedAt: null }, { revokedAt: new Date() });
  }

  /** Changes the password and revokes every other token of the user (the calling one keeps working). */
  async changePassword(em: EntityManager, principal: Principal, params: PasswordChangeParams): Promise<void> {
    const user = await em.findOneOrFail(UserEntity, { id: principal.userId });
    if (!(await bcrypt.compare(params.current_password, user.passwordHash))) {
      throw new InvalidRequestError(ErrorCode.invalidCredentials, 'The current password is incorrect', {
        details: [{ path: 'current_password', message: 'is incorrect' }],
      });
    }
    user.passwordHash = await bcrypt.hash(params.new_password, this.#config.bcryptCost);
    await em.transactional(async (tx) => {
      tx.persist(user);
      await tx.nativeUpdate(
        SessionEntity,
        { userId: user.id, revokedAt: null, ...(principal.sessionId ? { id: { $ne: principal.sessionId } } : {}) },
        { revokedAt: new Date() },
      );
    });
  }

  async profile(em: EntityManager, principal: Principal) {
    return toUserJson(await em.findOneOrFail(UserEntity, { id: principal.userId }));
  }

  /** Is this token's session alive? (Not revoked, not expired, user still there.) */
  async isSessionActive(em: EntityManager, sessionId: string, userId: string): Promise<boolean> {
    const session = await em.findOne(SessionEntity, { id: sessionId }, { disableIdentityMap: true });
    return !!session && session.userId === userId && !session.revokedAt && session.expiresAt.getTime() > Date.now();
  }

  async #issueToken(em: EntityManager, user: User): Promise<AuthToken> {
    const sessionId = uuid7();
    const expiresSeconds = this.#config.jwtExpiresSeconds;
    em.create(SessionEntity, { id: sessionId, userId: user.id, expiresAt: new Date(Date.now() + expiresSeconds * 1000), revokedAt: null });
    await em.flush();
    return {
      access_token: signAccessToken(this.#keys.jwtSigning, user.id, sessionId, expiresSeconds),
      token_type: 'bearer',
      expires_in: expiresSeconds,
      user: toUserJson(user),
    };
  }

  #findByEmail(em: EntityManager, email: string) {
    return em.findOne(UserEntity, { [raw('lower(email)')]: email.toLowerCase() });
  }

  #emailTaken() {
    return new ConflictError(ErrorCode.emailTaken, 'An account with this email already exists', {
      details: [{ path: 'email', message: 'is already registered' }],
    });
  }

  #limit(limiter: RateLimiter, key: string) {
    const verdict = limiter.hit(key);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
  }
}

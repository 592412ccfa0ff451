import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ErrorCode, type AuthToken, type LoginParams, type PasswordChangeParams, type RegisterParams, type Session as SessionJson } from '@metisai/sdk/schemas';
import type { Config } from '../config.ts';
import type { TokenBuckets } from '../db/token-buckets.ts';
import { ApiKeyEntity, SessionEntity, UserEntity, type Session, type User } from '../entities/index.ts';
import { AuthenticationError, ConflictError, InvalidRequestError, NotFoundError, PermissionDeniedError, RateLimitedError } from '../errors.ts';
import { isCommonPassword } from '../security/common-passwords.ts';
import type { UserPrincipal } from '../security/principal.ts';
import type { Keys } from '../security/keys.ts';
import { logSecurityEvent } from '../security/security-events.ts';
import { uuid7 } from '../security/uuid7.ts';
import type { RequestMeta, RevocationChannel } from './revocations.ts';
import { signAccessToken } from './tokens.ts';
import { toUserJson } from './users.ts';

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';
const invalidCredentials = () => new AuthenticationError(ErrorCode.invalidCredentials, 'Incorrect email or password');
/** bcrypt reads at most this many bytes of a password. */
const BCRYPT_MAX_BYTES = 72;
/** Expired and revoked sessions are deleted at most this often (per process). */
const SESSION_SWEEP_MS = 60_000;

/** A short, stable, non-reversible tag of an email for logs (the address itself is not logged). */
export const emailTag = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 16);

const toSessionJson = (session: Session, currentId: string | null): SessionJson => ({
  id: session.id,
  created_at: session.createdAt.toISOString(),
  expires_at: session.expiresAt.toISOString(),
  ip: session.ip ?? null,
  user_agent: session.userAgent ?? null,
  current: session.id === currentId,
});

/** A new password is refused when it is one of the most common ones (the schema checked its length). */
async function assertUncommon(password: string, field: string): Promise<void> {
  if (await isCommonPassword(password)) {
    throw new InvalidRequestError(ErrorCode.validation, `Invalid request body: ${field}: is one of the most common passwords; choose another`, {
      details: [{ path: field, message: 'is one of the most common passwords; choose another' }],
    });
  }
}

const findByEmail = (em: EntityManager, email: string) => em.findOne(UserEntity, { [raw('lower(email)')]: email.toLowerCase() });

const emailTaken = () =>
  new ConflictError(ErrorCode.emailTaken, 'An account with this email already exists', {
    details: [{ path: 'email', message: 'is already registered' }],
  });

/**
 * Creates an account (the rules of registration, without its gate and rate limit): `params` already passed
 * `RegisterParamsSchema` (length, 72 bytes); a common password is a 400 `validation` on `password`, an email already
 * registered (case-insensitive) a 409 `email_taken`. The password is hashed with bcrypt at `bcryptCost`. Used by
 * `POST /auth/register` and by the `create-user` command (the first account of a server with registration closed).
 */
export async function createAccount(em: EntityManager, params: RegisterParams, bcryptCost: number): Promise<User> {
  await assertUncommon(params.password, 'password');
  const email = params.email.trim();
  if (await findByEmail(em, email)) throw emailTaken();
  const user = em.create(UserEntity, {
    id: uuid7(),
    email,
    passwordHash: await bcrypt.hash(params.password, bcryptCost),
    name: params.name ? params.name : null,
  });
  try {
    await em.flush();
  } catch (error) {
    if (isUniqueViolation(error)) throw emailTaken();
    throw error;
  }
  return user;
}

export interface AuthServiceDeps {
  config: Config;
  keys: Keys;
  /** Shared rate limits (Postgres). */
  buckets: TokenBuckets;
  revocations: RevocationChannel;
}

/**
 * Accounts and their sessions: registration, login (rate limited per IP and per email in Postgres, so every process
 * shares the count), logout, password changes, the session list. Every revocation is announced on the revocation
 * channel, so open event streams end in every process.
 */
export class AuthService {
  readonly #deps: AuthServiceDeps;
  /** Compared against when the email is unknown (or the password too long), so every failure takes the same time. */
  readonly #dummyHash: Promise<string>;
  #lastSweep = 0;

  constructor(deps: AuthServiceDeps) {
    this.#deps = deps;
    this.#dummyHash = bcrypt.hash('metisai-timing-equaliser', deps.config.bcryptCost);
  }

  async register(em: EntityManager, params: RegisterParams, meta: RequestMeta): Promise<AuthToken> {
    if (!this.#deps.config.allowRegistration) {
      throw new PermissionDeniedError(ErrorCode.registrationClosed, 'Registration is closed on this server');
    }
    const { windowSeconds, registerPerIp } = this.#deps.config.rateLimit;
    await this.#limit(em, `register:ip:${meta.ip}`, registerPerIp, windowSeconds, meta);
    const user = await createAccount(em, params, this.#deps.config.bcryptCost);
    logSecurityEvent(meta.log, 'registered', { user_id: user.id, ip: meta.ip });
    return this.#issueToken(em, user, meta);
  }

  /**
   * Email and password → a new session. Unknown email, wrong password and a password over 72 bytes (which bcrypt
   * would silently truncate) all answer the same 401 after the same bcrypt work.
   */
  async login(em: EntityManager, params: LoginParams, meta: RequestMeta): Promise<AuthToken> {
    const email = params.email.trim();
    const { windowSeconds, loginPerIp, loginPerEmail } = this.#deps.config.rateLimit;
    await this.#limit(em, `login:ip:${meta.ip}`, loginPerIp, windowSeconds, meta);
    await this.#limit(em, `login:email:${email.toLowerCase()}`, loginPerEmail, windowSeconds, meta);
    const user = await this.#findByEmail(em, email);
    const isTooLong = Buffer.byteLength(params.password, 'utf8') > BCRYPT_MAX_BYTES;
    const hash = user && !isTooLong ? user.passwordHash : await this.#dummyHash;
    const matches = await bcrypt.compare(params.password, hash);
    if (!user || isTooLong || !matches) {
      logSecurityEvent(meta.log, 'login_failed', { email_tag: emailTag(email), user_id: user?.id ?? null, ip: meta.ip });
      throw invalidCredentials();
    }
    const token = await this.#issueToken(em, user, meta);
    logSecurityEvent(meta.log, 'login_succeeded', { user_id: user.id, ip: meta.ip });
    return token;
  }

  /** Revokes the calling session (a session-only operation: the route refuses API keys). */
  async logout(em: EntityManager, principal: UserPrincipal, meta: RequestMeta): Promise<void> {
    if (!principal.sessionId) {
      throw new InvalidRequestError(ErrorCode.notASession, 'This request was authenticated with an API key; delete the key through /api/v1/api-keys instead');
    }
    await em.nativeUpdate(SessionEntity, { id: principal.sessionId, revokedAt: null }, { revokedAt: new Date() });
    await this.#deps.revocations.send({ kind: 'revoke_session', session_id: principal.sessionId });
    logSecurityEvent(meta.log, 'logout', { user_id: principal.userId, session_id: principal.sessionId });
  }

  /**
   * Changes the password, then revokes every other session and deletes every API key of the user (a key minted by
   * whoever held the old password must not outlive it); the calling session keeps working.
   */
  async changePassword(em: EntityManager, principal: UserPrincipal, params: PasswordChangeParams, meta: RequestMeta): Promise<void> {
    const user = await em.findOneOrFail(UserEntity, { id: principal.userId });
    if (!(await this.verifyPassword(user, params.current_password))) {
      logSecurityEvent(meta.log, 'login_failed', { user_id: user.id, ip: meta.ip, during: 'password_change' });
      throw new InvalidRequestError(ErrorCode.invalidCredentials, 'The current password is incorrect', {
        details: [{ path: 'current_password', message: 'is incorrect' }],
      });
    }
    await assertUncommon(params.new_password, 'new_password');
    user.passwordHash = await bcrypt.hash(params.new_password, this.#deps.config.bcryptCost);
    await em.transactional(async (tx) => {
      tx.persist(user);
      await tx.nativeUpdate(
        SessionEntity,
        { userId: user.id, revokedAt: null, ...(principal.sessionId ? { id: { $ne: principal.sessionId } } : {}) },
        { revokedAt: new Date() },
      );
      await tx.nativeDelete(ApiKeyEntity, { userId: user.id });
    });
    await this.#deps.revocations.send({ kind: 'revoke_user', user_id: user.id, except_session_id: principal.sessionId });
    logSecurityEvent(meta.log, 'password_changed', { user_id: user.id, session_id: principal.sessionId });
  }

  /** Is `password` the user's? (bcrypt; a password over 72 bytes never is.) */
  async verifyPassword(user: User, password: string): Promise<boolean> {
    const isTooLong = Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES;
    const matches = await bcrypt.compare(password, isTooLong ? await this.#dummyHash : user.passwordHash);
    return matches && !isTooLong;
  }

  async profile(em: EntityManager, principal: UserPrincipal) {
    return toUserJson(await em.findOneOrFail(UserEntity, { id: principal.userId }));
  }

  /** The user's live sessions (not revoked, not expired), newest first; `current` marks the caller's. */
  async listSessions(em: EntityManager, principal: UserPrincipal): Promise<SessionJson[]> {
    const sessions = await em.find(SessionEntity, { userId: principal.userId, revokedAt: null, expiresAt: { $gt: new Date() } }, { orderBy: { id: 'desc' } });
    return sessions.map((session) => toSessionJson(session, principal.sessionId));
  }

  /** Revokes one live session of the user (the caller's own included); 404 when there is none by that id. */
  async revokeSession(em: EntityManager, principal: UserPrincipal, sessionId: string, meta: RequestMeta): Promise<void> {
    const revoked = await em.nativeUpdate(
      SessionEntity,
      { id: sessionId, userId: principal.userId, revokedAt: null, expiresAt: { $gt: new Date() } },
      { revokedAt: new Date() },
    );
    if (revoked === 0) throw new NotFoundError('session');
    await this.#deps.revocations.send({ kind: 'revoke_session', session_id: sessionId });
    logSecurityEvent(meta.log, 'session_revoked', { user_id: principal.userId, session_id: sessionId, by_session_id: principal.sessionId });
  }

  /** Revokes every session of the user but the caller's (the user's API keys stay). */
  async revokeOtherSessions(em: EntityManager, principal: UserPrincipal, meta: RequestMeta): Promise<void> {
    const revoked = await em.execute<{ id: string }[]>(
      'update sessions set revoked_at = now() where user_id = ? and revoked_at is null and id is distinct from ? returning id',
      [principal.userId, principal.sessionId],
    );
    for (const { id } of revoked) await this.#deps.revocations.send({ kind: 'revoke_session', session_id: id });
    logSecurityEvent(meta.log, 'sessions_revoked', { user_id: principal.userId, kept_session_id: principal.sessionId, count: revoked.length });
  }

  /** Is this token's session alive? (Not revoked, not expired, user still there.) */
  async isSessionActive(em: EntityManager, sessionId: string, userId: string): Promise<boolean> {
    const session = await em.findOne(SessionEntity, { id: sessionId }, { disableIdentityMap: true });
    return !!session && session.userId === userId && !session.revokedAt && session.expiresAt.getTime() > Date.now();
  }

  /** Deletes sessions that expired or were revoked (their tokens fail either way: a missing row is no session). */
  async sweepSessions(em: EntityManager): Promise<number> {
    this.#lastSweep = Date.now();
    return em.nativeDelete(SessionEntity, { $or: [{ expiresAt: { $lte: new Date() } }, { revokedAt: { $ne: null } }] });
  }

  async #issueToken(em: EntityManager, user: User, meta: RequestMeta): Promise<AuthToken> {
    if (Date.now() - this.#lastSweep > SESSION_SWEEP_MS) await this.sweepSessions(em.fork());
    const sessionId = uuid7();
    const expiresSeconds = this.#deps.config.jwtExpiresSeconds;
    em.create(SessionEntity, {
      id: sessionId,
      userId: user.id,
      expiresAt: new Date(Date.now() + expiresSeconds * 1000),
      revokedAt: null,
      ip: meta.ip,
      userAgent: meta.userAgent ? meta.userAgent.slice(0, 300) : null,
    });
    await em.flush();
    return {
      access_token: signAccessToken(this.#deps.keys.jwtSigning, user.id, sessionId, expiresSeconds),
      token_type: 'bearer',
      expires_in: expiresSeconds,
      user: toUserJson(user),
    };
  }

  #findByEmail(em: EntityManager, email: string) {
    return findByEmail(em, email);
  }

  async #limit(em: EntityManager, key: string, capacity: number, windowSeconds: number, meta: RequestMeta): Promise<void> {
    const verdict = await this.#deps.buckets.take(em, key, { capacity, windowSeconds });
    if (!verdict.allowed) {
      logSecurityEvent(meta.log, 'rate_limited', { limit: key.split(':').slice(0, 2).join(':'), ip: meta.ip });
      throw new RateLimitedError(verdict.retryAfterSeconds);
    }
  }
}

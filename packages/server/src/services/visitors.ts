import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ErrorCode, type EmbedSession, type EmbedToken, type VisitorCredentials } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import type { TokenBuckets } from '../db/token-buckets.ts';
import { AgentEntity, PublishableKeyEntity, VisitorEntity, type Agent } from '../entities/index.ts';
import { AuthenticationError, NotFoundError, PermissionDeniedError, RateLimitedError } from '../errors.ts';
import { signVisitorToken, type VisitorClaims } from '../security/embed-tokens.ts';
import type { Keys } from '../security/keys.ts';
import type { VisitorPrincipal } from '../security/principal.ts';
import { logSecurityEvent } from '../security/security-events.ts';
import { uuid7 } from '../security/uuid7.ts';

/** Every resume key starts with this. */
export const RESUME_KEY_PREFIX = 'rk_';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Where a visitor request comes from. */
export interface VisitorRequestMeta {
  /** The `Origin` header ('' when absent). */
  origin: string;
  ip: string;
  log: Logger;
}

export interface VisitorServiceOptions {
  keys: Keys;
  buckets: TokenBuckets;
  /** Lifetime of a visitor session's token (`EMBED_SESSION_TTL_SECONDS`). */
  sessionTtlSeconds: number;
  /** New visitors per client IP and window (`RATE_LIMIT_EMBED_VISITORS_PER_IP`). */
  newVisitorsPerIp: number;
  windowSeconds: number;
  /**
   * Why this server cannot serve visitors, or null when it can: the local driver isolates nothing, so embedding is
   * refused on it unless `ALLOW_UNSAFE_LOCAL_SANDBOX=true`. Asked at every session and token.
   */
  embedUnavailable: () => string | null;
}

/**
 * Visitors of embedded agents and their tokens: sessions opened from web pages with a publishable key, tokens minted by
 * an app's backend, and the check of a visitor token on every request (its origin, and the agent's current policy
 * generation).
 */
export class VisitorService {
  readonly #options: VisitorServiceOptions;

  constructor(options: VisitorServiceOptions) {
    this.#options = options;
  }

  /** The request's `Origin` must be exactly `expected`: 403 `origin_required` without one, `origin_not_allowed` otherwise. */
  checkOrigin(origin: string, expected: string | readonly string[]): void {
    if (!origin) throw new PermissionDeniedError(ErrorCode.originRequired, 'Visitor requests come from web pages: the Origin header is required');
    const allowed = typeof expected === 'string' ? [expected] : expected;
    if (!allowed.includes(origin)) throw new PermissionDeniedError(ErrorCode.originNotAllowed, `The origin ${origin} is not allowed here`);
  }

  /**
   * Opens a visitor session (`POST /embed/sessions`): the `Origin` must be one the publishable key allows. A visitor
   * presenting its `id` and `resume_key` gets a token for itself; otherwise (or when the pair does not match) a new
   * visitor is created, at most `newVisitorsPerIp` per window from one client IP. Errors: 403 `origin_required`, 401
   * `invalid_publishable_key`, 403 `origin_not_allowed`, 403 `embed_disabled`, 429 `rate_limited`.
   */
  async openSession(em: EntityManager, publishableKey: string, visitor: VisitorCredentials | undefined, meta: VisitorRequestMeta): Promise<EmbedSession> {
    if (!meta.origin) throw new PermissionDeniedError(ErrorCode.originRequired, 'Visitor sessions are opened from web pages: the Origin header is required');
    const key = await em.findOne(PublishableKeyEntity, { key: publishableKey });
    const agent = key ? await em.findOne(AgentEntity, { id: key.agentId, deletedAt: null }) : null;
    if (!key || !agent) throw new AuthenticationError(ErrorCode.invalidPublishableKey, 'No live publishable key by that value (unknown, rotated or revoked)');
    try {
      this.checkOrigin(meta.origin, key.allowedOrigins);
    } catch (error) {
      logSecurityEvent(meta.log, 'origin_refused', { agent_id: agent.id, publishable_key_id: key.id, origin: meta.origin, ip: meta.ip });
      throw error;
    }
    this.#assertEmbeddable(agent);
    let visitorId: string | undefined;
    let resumeKey: string | undefined;
    if (visitor) {
      const known = await em.nativeUpdate(
        VisitorEntity,
        { id: visitor.id, agentId: agent.id, resumeKeyHash: sha256(visitor.resume_key) },
        { lastSeenAt: new Date() },
      );
      if (known === 1) [visitorId, resumeKey] = [visitor.id, visitor.resume_key];
    }
    if (!visitorId) {
      const verdict = await this.#options.buckets.take(em, `embed-visitor:ip:${meta.ip}`, {
        capacity: this.#options.newVisitorsPerIp,
        windowSeconds: this.#options.windowSeconds,
      });
      if (!verdict.allowed) {
        logSecurityEvent(meta.log, 'rate_limited', { limit: 'embed-visitor:ip', ip: meta.ip, agent_id: agent.id });
        throw new RateLimitedError(verdict.retryAfterSeconds);
      }
      resumeKey = `${RESUME_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
      visitorId = uuid7();
      em.create(VisitorEntity, {
        id: visitorId,
        agentId: agent.id,
        userId: agent.userId,
        resumeKeyHash: sha256(resumeKey),
        userRef: null,
        lastSeenAt: new Date(),
      });
      await em.flush();
      logSecurityEvent(meta.log, 'visitor_created', { agent_id: agent.id, visitor_id: visitorId, ip: meta.ip });
    }
    const { token, expiresAt } = signVisitorToken(
      this.#options.keys.embedSigning,
      { visitorId, agentId: agent.id, origin: meta.origin, generation: agent.embedGeneration },
      this.#options.sessionTtlSeconds,
    );
    return { token, expires_at: expiresAt.toISOString(), visitor: { id: visitorId, resume_key: resumeKey! } };
  }

  /**
   * Mints a visitor token for one of an app's users (`POST /agents/{id}/embed-tokens`, scope `embed:mint`): the same
   * `userRef` is the same visitor; `origin` must be one of the agent's publishable keys' origins. Errors: 404 (not the
   * caller's agent), 403 `embed_disabled`, 403 `origin_not_allowed`.
   */
  async mintToken(
    em: EntityManager,
    userId: string,
    agentId: string,
    params: { user_ref: string; origin: string; ttl: number },
    log: Logger,
  ): Promise<EmbedToken> {
    const agent = await em.findOne(AgentEntity, { id: agentId, userId, deletedAt: null });
    if (!agent) throw new NotFoundError('agent');
    this.#assertEmbeddable(agent);
    const keys = await em.find(PublishableKeyEntity, { agentId }, { fields: ['allowedOrigins'] });
    const origins = keys.flatMap((key) => key.allowedOrigins);
    if (!origins.includes(params.origin)) {
      throw new PermissionDeniedError(ErrorCode.originNotAllowed, `None of this agent's publishable keys allows the origin ${params.origin}`, {
        details: [{ path: 'origin', message: "must be one of the origins of the agent's publishable keys" }],
      });
    }
    const [row] = await em.execute<{ id: string }[]>(
      `insert into visitors (id, agent_id, user_id, resume_key_hash, user_ref, created_at, last_seen_at)
       values (?, ?, ?, null, ?, now(), now())
       on conflict (agent_id, user_ref) where user_ref is not null do update set last_seen_at = now()
       returning id`,
      [uuid7(), agentId, userId, params.user_ref],
    );
    const visitorId = row!.id;
    const { token, expiresAt } = signVisitorToken(
      this.#options.keys.embedSigning,
      { visitorId, agentId, origin: params.origin, generation: agent.embedGeneration },
      params.ttl,
    );
    logSecurityEvent(log, 'embed_token_minted', { user_id: userId, agent_id: agentId, visitor_id: visitorId, origin: params.origin, ttl: params.ttl });
    return { token, expires_at: expiresAt.toISOString(), visitor: { id: visitorId } };
  }

  /**
   * Checks a (verified) visitor token against the agent now: the visitor exists and the agent's policy generation is
   * the token's (else 401 `token_stale`: a key was rotated or revoked, origins changed, embedding was turned off or the
   * agent deleted), and embedding is on (else 403 `embed_disabled`). Answers the agent's owner.
   */
  async authenticate(em: EntityManager, claims: VisitorClaims): Promise<string> {
    const state = await this.#state(em, claims);
    if (!state || state.generation !== claims.generation || state.deleted) {
      throw new AuthenticationError(ErrorCode.tokenStale, "This visitor token predates a change of the agent's embed policy; open a new session");
    }
    if (!state.enabled) throw new PermissionDeniedError(ErrorCode.embedDisabled, 'This agent is not embeddable');
    return state.ownerId;
  }

  /** Is the visitor principal's token still current (same generation, embedding on)? For open event streams. */
  async isCurrent(em: EntityManager, principal: VisitorPrincipal): Promise<boolean> {
    const state = await this.#state(em, principal);
    return !!state && state.generation === principal.generation && !state.deleted && state.enabled;
  }

  async #state(
    em: EntityManager,
    claims: Pick<VisitorClaims, 'visitorId' | 'agentId'>,
  ): Promise<{ ownerId: string; generation: number; enabled: boolean; deleted: boolean } | undefined> {
    const [row] = await em.execute<{ user_id: string; embed_generation: number; enabled: boolean | null; deleted: boolean }[]>(
      `select a.user_id, a.embed_generation, (a.config -> 'embed' ->> 'enabled')::boolean as enabled, a.deleted_at is not null as deleted
       from visitors v join agents a on a.id = v.agent_id
       where v.id = ? and v.agent_id = ?`,
      [claims.visitorId, claims.agentId],
    );
    return row ? { ownerId: row.user_id, generation: row.embed_generation, enabled: row.enabled === true, deleted: row.deleted } : undefined;
  }

  /** 403 `embed_disabled` when the agent's `embed.enabled` is off or the server cannot isolate visitors. */
  #assertEmbeddable(agent: Agent): void {
    if (!agent.config.embed?.enabled) throw new PermissionDeniedError(ErrorCode.embedDisabled, 'This agent is not embeddable (its embed.enabled is off)');
    const unavailable = this.#options.embedUnavailable();
    if (unavailable) throw new PermissionDeniedError(ErrorCode.embedDisabled, unavailable);
  }
}

import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApiKey as ApiKeyJson, ApiKeyCreated, ApiKeyCreateParams, ListParams, Page } from '@metisai/sdk/schemas';
import { AgentEntity, ApiKeyEntity, type ApiKey } from '../entities/index.ts';
import { NotFoundError } from '../errors.ts';
import { logSecurityEvent } from '../security/security-events.ts';
import { uuid7 } from '../security/uuid7.ts';
import { listNewestFirst } from '../db/paginate.ts';
import type { RequestMeta, RevocationChannel } from './revocations.ts';

/** Every API key starts with this, which tells it apart from a JWT. */
export const API_KEY_PREFIX = 'metis_';

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

const toApiKeyJson = (apiKey: ApiKey): ApiKeyJson => ({
  id: apiKey.id,
  name: apiKey.name,
  scopes: [...apiKey.scopes],
  agent_ids: apiKey.agentIds ? [...apiKey.agentIds] : null,
  prefix: apiKey.prefix,
  created_at: apiKey.createdAt.toISOString(),
  last_used_at: apiKey.lastUsedAt?.toISOString() ?? null,
  expires_at: apiKey.expiresAt?.toISOString() ?? null,
});

/** The user's API keys: created with scopes (and optionally restricted to some agents), listed, revoked. */
export class ApiKeyService {
  readonly #revocations: RevocationChannel;

  constructor(revocations: RevocationChannel) {
    this.#revocations = revocations;
  }

  async list(em: EntityManager, userId: string, params: ListParams): Promise<Page<ApiKeyJson>> {
    return listNewestFirst(em, ApiKeyEntity, { userId }, params, toApiKeyJson);
  }

  /**
   * The key is shown in this answer only; the server keeps its SHA-256. Every id of `agent_ids` must be one of the
   * user's live agents (else 404, like any resource that is not theirs).
   */
  async create(em: EntityManager, userId: string, params: ApiKeyCreateParams, meta: RequestMeta): Promise<ApiKeyCreated> {
    const agentIds = params.agent_ids ? [...new Set(params.agent_ids)] : null;
    if (agentIds) {
      const owned = await em.count(AgentEntity, { id: { $in: agentIds }, userId, deletedAt: null });
      if (owned !== agentIds.length) throw new NotFoundError('agent', 'agent_ids names an agent that does not exist (or is not yours)');
    }
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const apiKey = em.create(ApiKeyEntity, {
      id: uuid7(),
      userId,
      name: params.name,
      scopes: [...new Set(params.scopes)],
      agentIds,
      prefix: key.slice(0, API_KEY_PREFIX.length + 6),
      keyHash: hashKey(key),
      lastUsedAt: null,
      expiresAt: params.expires_in_days ? new Date(Date.now() + params.expires_in_days * 86_400_000) : null,
    });
    await em.flush();
    logSecurityEvent(meta.log, 'api_key_created', { user_id: userId, api_key_id: apiKey.id, scopes: apiKey.scopes, agent_ids: agentIds });
    return { ...toApiKeyJson(apiKey), key };
  }

  /** Deletes the key; it stops working at once, and its open event streams end in every process. */
  async delete(em: EntityManager, userId: string, id: string, meta: RequestMeta): Promise<void> {
    const removed = await em.nativeDelete(ApiKeyEntity, { id, userId });
    if (removed === 0) throw new NotFoundError('API key');
    await this.#revocations.send({ kind: 'revoke_api_key', api_key_id: id });
    logSecurityEvent(meta.log, 'api_key_deleted', { user_id: userId, api_key_id: id });
  }

  /** Does the key still exist and not expired? */
  async isLive(em: EntityManager, id: string): Promise<boolean> {
    const apiKey = await em.findOne(ApiKeyEntity, { id }, { fields: ['expiresAt'], disableIdentityMap: true });
    return !!apiKey && (!apiKey.expiresAt || apiKey.expiresAt.getTime() > Date.now());
  }

  /** The live key matching `key`, or null. Marks it used (at most once a minute, to spare writes). */
  async authenticate(em: EntityManager, key: string): Promise<ApiKey | null> {
    const apiKey = await em.findOne(ApiKeyEntity, { keyHash: hashKey(key) }, { disableIdentityMap: true });
    if (!apiKey || (apiKey.expiresAt && apiKey.expiresAt.getTime() <= Date.now())) return null;
    if (!apiKey.lastUsedAt || Date.now() - apiKey.lastUsedAt.getTime() > 60_000) {
      await em.nativeUpdate(ApiKeyEntity, { id: apiKey.id }, { lastUsedAt: new Date() });
    }
    return apiKey;
  }
}

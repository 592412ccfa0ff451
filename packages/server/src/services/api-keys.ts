import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApiKey as ApiKeyJson, ApiKeyCreated, ApiKeyCreateParams, ListParams, Page } from '@metisai/sdk/schemas';
import { ApiKeyEntity, type ApiKey } from '../entities/index.ts';
import { NotFoundError } from '../errors.ts';
import { uuid7 } from '../security/uuid7.ts';
import { listNewestFirst } from '../db/paginate.ts';

/** Every API key starts with this, which tells it apart from a JWT. */
export const API_KEY_PREFIX = 'metis_';

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

const toApiKeyJson = (apiKey: ApiKey): ApiKeyJson => ({
  id: apiKey.id,
  name: apiKey.name,
  prefix: apiKey.prefix,
  created_at: apiKey.createdAt.toISOString(),
  last_used_at: apiKey.lastUsedAt?.toISOString() ?? null,
  expires_at: apiKey.expiresAt?.toISOString() ?? null,
});

export class ApiKeyService {
  async list(em: EntityManager, userId: string, params: ListParams): Promise<Page<ApiKeyJson>> {
    return listNewestFirst(em, ApiKeyEntity, { userId }, params, toApiKeyJson);
  }

  /** The key is shown in this answer only; the server keeps its SHA-256. */
  async create(em: EntityManager, userId: string, params: ApiKeyCreateParams): Promise<ApiKeyCreated> {
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const apiKey = em.create(ApiKeyEntity, {
      id: uuid7(),
      userId,
      name: params.name,
      prefix: key.slice(0, API_KEY_PREFIX.length + 6),
      keyHash: hashKey(key),
      lastUsedAt: null,
      expiresAt: params.expires_in_days ? new Date(Date.now() + params.expires_in_days * 86_400_000) : null,
    });
    await em.flush();
    return { ...toApiKeyJson(apiKey), key };
  }

  async delete(em: EntityManager, userId: string, id: string): Promise<void> {
    const removed = await em.nativeDelete(ApiKeyEntity, { id, userId });
    if (removed === 0) throw new NotFoundError('API key');
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

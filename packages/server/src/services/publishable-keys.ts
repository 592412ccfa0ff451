import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ListParams, Page, PublishableKey as PublishableKeyJson } from '@metisai/sdk/schemas';
import { listNewestFirst } from '../db/paginate.ts';
import { AgentEntity, PublishableKeyEntity, type PublishableKey } from '../entities/index.ts';
import { NotFoundError } from '../errors.ts';
import { logSecurityEvent } from '../security/security-events.ts';
import { uuid7 } from '../security/uuid7.ts';
import type { RequestMeta, RevocationChannel } from './revocations.ts';

/** Every publishable key starts with this. */
export const PUBLISHABLE_KEY_PREFIX = 'pk_';

const newKey = () => `${PUBLISHABLE_KEY_PREFIX}${randomBytes(24).toString('base64url')}`;

const toPublishableKeyJson = (key: PublishableKey): PublishableKeyJson => ({
  id: key.id,
  agent_id: key.agentId,
  key: key.key,
  allowed_origins: [...key.allowedOrigins],
  created_at: key.createdAt.toISOString(),
  rotated_at: key.rotatedAt?.toISOString() ?? null,
});

/**
 * Bumps the agent's embed policy generation and tells every process, so that visitor tokens minted before it stop
 * working at once (401 `token_stale`) and their open streams end (`stream_end` `token_stale`). Call after the change
 * that causes it is committed. Answers the new generation.
 */
export async function bumpEmbedGeneration(em: EntityManager, revocations: RevocationChannel, agentId: string): Promise<number> {
  const [row] = await em.execute<{ embed_generation: number }[]>(
    'update agents set embed_generation = embed_generation + 1 where id = ? returning embed_generation',
    [agentId],
  );
  const generation = row?.embed_generation ?? 0;
  await revocations.send({ kind: 'embed_generation', agent_id: agentId, generation });
  return generation;
}

/**
 * The publishable keys of an owner's agents: created with their allowed origins, listed (the keys are public and
 * always shown), their origins replaced, rotated (a new value) and revoked. Every change but a creation bumps the
 * agent's policy generation.
 */
export class PublishableKeyService {
  readonly #revocations: RevocationChannel;

  constructor(revocations: RevocationChannel) {
    this.#revocations = revocations;
  }

  /** The agent's keys, newest first; 404 when the agent is not the caller's. */
  async list(em: EntityManager, userId: string, agentId: string, params: ListParams): Promise<Page<PublishableKeyJson>> {
    await this.#agent(em, userId, agentId);
    return listNewestFirst(em, PublishableKeyEntity, { agentId, userId }, params, toPublishableKeyJson);
  }

  async create(em: EntityManager, userId: string, agentId: string, allowedOrigins: readonly string[], meta: RequestMeta): Promise<PublishableKeyJson> {
    await this.#agent(em, userId, agentId);
    const key = em.create(PublishableKeyEntity, {
      id: uuid7(),
      agentId,
      userId,
      key: newKey(),
      allowedOrigins: [...new Set(allowedOrigins)],
      rotatedAt: null,
    });
    await em.flush();
    logSecurityEvent(meta.log, 'publishable_key_created', { user_id: userId, agent_id: agentId, publishable_key_id: key.id, origins: key.allowedOrigins });
    return toPublishableKeyJson(key);
  }

  async get(em: EntityManager, userId: string, agentId: string, keyId: string): Promise<PublishableKeyJson> {
    return toPublishableKeyJson(await this.#owned(em, userId, agentId, keyId));
  }

  /** Replaces the key's origins; visitor tokens of the agent go stale. */
  async update(
    em: EntityManager,
    userId: string,
    agentId: string,
    keyId: string,
    allowedOrigins: readonly string[],
    meta: RequestMeta,
  ): Promise<PublishableKeyJson> {
    const key = await this.#owned(em, userId, agentId, keyId);
    key.allowedOrigins = [...new Set(allowedOrigins)];
    await em.flush();
    await bumpEmbedGeneration(em, this.#revocations, agentId);
    logSecurityEvent(meta.log, 'publishable_key_updated', { user_id: userId, agent_id: agentId, publishable_key_id: keyId, origins: key.allowedOrigins });
    return toPublishableKeyJson(key);
  }

  /** Gives the key a new value (the old one stops working); visitor tokens of the agent go stale. */
  async rotate(em: EntityManager, userId: string, agentId: string, keyId: string, meta: RequestMeta): Promise<PublishableKeyJson> {
    const key = await this.#owned(em, userId, agentId, keyId);
    key.key = newKey();
    key.rotatedAt = new Date();
    await em.flush();
    await bumpEmbedGeneration(em, this.#revocations, agentId);
    logSecurityEvent(meta.log, 'publishable_key_rotated', { user_id: userId, agent_id: agentId, publishable_key_id: keyId });
    return toPublishableKeyJson(key);
  }

  /** Revokes the key; visitor tokens of the agent go stale. */
  async delete(em: EntityManager, userId: string, agentId: string, keyId: string, meta: RequestMeta): Promise<void> {
    // The agent first, as every other key route does: another user's agent is an agent not found, whatever the key.
    await this.#agent(em, userId, agentId);
    const removed = await em.nativeDelete(PublishableKeyEntity, { id: keyId, agentId, userId });
    if (removed === 0) throw new NotFoundError('publishable key');
    await bumpEmbedGeneration(em, this.#revocations, agentId);
    logSecurityEvent(meta.log, 'publishable_key_revoked', { user_id: userId, agent_id: agentId, publishable_key_id: keyId });
  }

  async #agent(em: EntityManager, userId: string, agentId: string): Promise<void> {
    if ((await em.count(AgentEntity, { id: agentId, userId, deletedAt: null })) === 0) throw new NotFoundError('agent');
  }

  async #owned(em: EntityManager, userId: string, agentId: string, keyId: string): Promise<PublishableKey> {
    await this.#agent(em, userId, agentId);
    const key = await em.findOne(PublishableKeyEntity, { id: keyId, agentId, userId });
    if (!key) throw new NotFoundError('publishable key');
    return key;
  }
}

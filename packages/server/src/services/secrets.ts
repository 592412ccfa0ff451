import type { EntityManager } from '@mikro-orm/postgresql';
import { ErrorCode, type ListParams, type Page, type Secret as SecretJson, type SecretCreateParams, type SecretUpdateParams } from '@metisai/sdk/schemas';
import { SecretEntity, type Secret } from '../entities/index.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { decrypt, encrypt } from '../security/cipher.ts';
import type { Keys } from '../security/keys.ts';
import { uuid7 } from '../security/uuid7.ts';
import { listNewestFirst } from '../db/paginate.ts';

const toSecretJson = (secret: Secret): SecretJson => ({
  id: secret.id,
  name: secret.name,
  description: secret.description ?? null,
  created_at: secret.createdAt.toISOString(),
  updated_at: secret.updatedAt.toISOString(),
});

/** Encryption is bound to the owner and name, so a sealed value copied to another row does not decrypt. */
const aad = (userId: string, name: string) => `secret:${userId}:${name}`;

export class SecretService {
  readonly #keys: Keys;

  constructor(keys: Keys) {
    this.#keys = keys;
  }

  async list(em: EntityManager, userId: string, params: ListParams): Promise<Page<SecretJson>> {
    return listNewestFirst(em, SecretEntity, { userId }, params, toSecretJson);
  }

  async create(em: EntityManager, userId: string, params: SecretCreateParams): Promise<SecretJson> {
    const secret = em.create(SecretEntity, {
      id: uuid7(),
      userId,
      name: params.name,
      valueEncrypted: encrypt(this.#keys.secretEncryption, params.value, aad(userId, params.name)),
      description: params.description ?? null,
    });
    try {
      await em.flush();
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ConflictError(ErrorCode.secretExists, `A secret named ${params.name} already exists; delete it first to replace it`, {
          details: [{ path: 'name', message: 'is already used by another secret' }],
        });
      }
      throw error;
    }
    return toSecretJson(secret);
  }

  /** Replaces a secret's value (and its description when given); the name, and so the encryption's binding, stays. */
  async update(em: EntityManager, userId: string, id: string, params: SecretUpdateParams): Promise<SecretJson> {
    const secret = await em.findOne(SecretEntity, { id, userId });
    if (!secret) throw new NotFoundError('secret');
    secret.valueEncrypted = encrypt(this.#keys.secretEncryption, params.value, aad(userId, secret.name));
    if (params.description !== undefined) secret.description = params.description;
    secret.updatedAt = new Date();
    await em.flush();
    return toSecretJson(secret);
  }

  async delete(em: EntityManager, userId: string, id: string): Promise<void> {
    const removed = await em.nativeDelete(SecretEntity, { id, userId });
    if (removed === 0) throw new NotFoundError('secret');
  }

  /** Values of the named secrets in clear, for the runs; never sent to clients or logs. */
  async reveal(em: EntityManager, userId: string, names: string[]): Promise<Map<string, string>> {
    const rows = await em.find(SecretEntity, { userId, name: { $in: names } });
    return new Map(rows.map((row) => [row.name, decrypt(this.#keys.secretEncryption, row.valueEncrypted, aad(userId, row.name))]));
  }
}

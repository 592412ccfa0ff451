import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ApiKeyScope } from '@metisai/sdk/schemas';

export const ApiKeyEntity = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid(),
    name: p.text(),
    prefix: p.text(),
    /** SHA-256 of the key: keys are long random strings, so a fast hash is enough. */
    keyHash: p.text(),
    /** What the key may do (`text[]`). */
    scopes: p.array().columnType('text[]').$type<ApiKeyScope[]>(),
    /** The agents the key is restricted to (`uuid[]`), or null for all. */
    agentIds: p.array().columnType('uuid[]').$type<string[]>().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastUsedAt: p.datetime().nullable(),
    expiresAt: p.datetime().nullable(),
  },
});
export type ApiKey = InferEntity<typeof ApiKeyEntity>;

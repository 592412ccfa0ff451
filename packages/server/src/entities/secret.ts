import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const SecretEntity = defineEntity({
  name: 'Secret',
  tableName: 'secrets',
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid(),
    name: p.text(),
    /** AES-256-GCM, see security/cipher.ts. */
    valueEncrypted: p.text(),
    description: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Secret = InferEntity<typeof SecretEntity>;

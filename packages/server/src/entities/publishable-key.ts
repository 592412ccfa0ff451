import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A publishable key (`pk_…`) of an agent: public, so stored as it is; pages on its origins open visitor sessions. */
export const PublishableKeyEntity = defineEntity({
  name: 'PublishableKey',
  tableName: 'publishable_keys',
  properties: {
    id: p.uuid().primary(),
    agentId: p.uuid(),
    /** The agent's owner. */
    userId: p.uuid(),
    key: p.text(),
    /** Exact origins (`scheme://host[:port]`), `text[]`. */
    allowedOrigins: p.array().columnType('text[]').$type<string[]>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    rotatedAt: p.datetime().nullable(),
  },
});
export type PublishableKey = InferEntity<typeof PublishableKeyEntity>;

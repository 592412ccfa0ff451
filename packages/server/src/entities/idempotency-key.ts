import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** The first answer to a POST with an `Idempotency-Key`, replayed to retries. */
export const IdempotencyKeyEntity = defineEntity({
  name: 'IdempotencyKey',
  tableName: 'idempotency_keys',
  properties: {
    scope: p.text().primary(),
    key: p.text().primary(),
    requestHash: p.text(),
    /** The caller, when authenticated (the row goes with the account). */
    userId: p.uuid().nullable(),
    status: p.integer().nullable(),
    /** The JSON answer, AES-256-GCM encrypted (it may hold credentials). */
    responseBody: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type IdempotencyKey = InferEntity<typeof IdempotencyKeyEntity>;

import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * A visitor of an embedded agent: anonymous (proved by the SHA-256 of its resume key) or one of an app's users (its
 * `userRef`, from a server-minted token). Its conversations are stored under the agent's owner.
 */
export const VisitorEntity = defineEntity({
  name: 'Visitor',
  tableName: 'visitors',
  properties: {
    id: p.uuid().primary(),
    agentId: p.uuid(),
    /** The agent's owner. */
    userId: p.uuid(),
    resumeKeyHash: p.text().nullable(),
    userRef: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastSeenAt: p.datetime(),
  },
});
export type Visitor = InferEntity<typeof VisitorEntity>;

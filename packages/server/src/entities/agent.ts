import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { AgentConfig, AgentStatus, AgentStatusDetail } from '@metisai/sdk/schemas';

export const AgentEntity = defineEntity({
  name: 'Agent',
  tableName: 'agents',
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid(),
    name: p.text(),
    description: p.text().nullable(),
    config: p.json<AgentConfig>(),
    status: p.text().$type<AgentStatus>(),
    statusMessage: p.text().nullable(),
    /** What a starting agent is doing (`status_detail`), or null. */
    statusDetail: p.json<AgentStatusDetail>().nullable(),
    /** Bumped by each change that ends visitor tokens (`token_stale`); tokens carry the generation they were minted at. */
    embedGeneration: p.integer().default(0),
    /** Deleted agents stay as rows so their conversations remain readable. */
    deletedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Agent = InferEntity<typeof AgentEntity>;

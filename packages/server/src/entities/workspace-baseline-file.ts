import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One file of a conversation's baseline: what `GET …/changes` compares the workspace against. */
export const WorkspaceBaselineFileEntity = defineEntity({
  name: 'WorkspaceBaselineFile',
  tableName: 'workspace_baseline_files',
  properties: {
    conversationId: p.uuid().primary(),
    /** Relative to the workspace root. */
    path: p.text().primary(),
    sizeBytes: p.bigint('number'),
    mtimeMs: p.double().$type<number>(),
    isBinary: p.boolean(),
    /** The bytes of a text file within the snapshot's limits; `null` otherwise. */
    content: p.blob().nullable(),
  },
});
export type WorkspaceBaselineFile = InferEntity<typeof WorkspaceBaselineFileEntity>;

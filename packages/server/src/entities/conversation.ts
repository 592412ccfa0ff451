import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ConversationState, RepositoryStatus } from '@metisai/sdk/schemas';

/**
 * The repository a conversation was started from (`conversations.repository`): what was asked, the name of the secret
 * holding its token (never the token), and how its clone went. `commit` is set once it is cloned.
 */
export interface StoredRepository {
  url: string;
  ref: string | null;
  depth: number;
  token_secret: string | null;
  status: RepositoryStatus;
  commit: string | null;
}

export const ConversationEntity = defineEntity({
  name: 'Conversation',
  tableName: 'conversations',
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid(),
    agentId: p.uuid().nullable(),
    /** The visitor whose conversation this is (an embedded agent's; `userId` is then the agent's owner), or null. */
    visitorId: p.uuid().nullable(),
    title: p.text().nullable(),
    /** The conversation's sandbox (created on its first run), kept while the conversation exists. */
    sandboxId: p.text().nullable(),
    /** The workspace its sandboxes keep their files in (a Docker volume outlives the container); set with `sandboxId`. */
    workspace: p.text().nullable(),
    /** When the baseline of its changes was taken (its first sandbox's creation); `null` before. */
    baselineAt: p.datetime().nullable(),
    /** The conversation this one was forked from (it may be deleted since), and the `seq` it was forked at. */
    forkedFromId: p.uuid().nullable(),
    forkedFromSeq: p.integer().nullable(),
    state: p.text().$type<ConversationState>(),
    /** The last allocated event `seq`. */
    lastSeq: p.integer(),
    promptTokens: p.integer(),
    completionTokens: p.integer(),
    /** LLM calls made for this conversation (each one is a row of `llm_calls`). */
    llmCalls: p.integer(),
    /** Size of the workspace in bytes at its last measurement (after a run), null before the first. */
    workspaceBytes: p.bigint('number').nullable(),
    workspaceMeasuredAt: p.datetime().nullable(),
    /** The repository cloned into its workspace when it was created; `null`: none. */
    repository: p.json<StoredRepository>().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Conversation = InferEntity<typeof ConversationEntity>;

import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One LLM call of a conversation's run and the tokens it used (the conversation keeps the totals). */
export const LlmCallEntity = defineEntity({
  name: 'LlmCall',
  tableName: 'llm_calls',
  properties: {
    /** `bigint generated always as identity`: assigned by Postgres. */
    id: p.bigint('number').primary().autoincrement(),
    conversationId: p.uuid(),
    model: p.text(),
    promptTokens: p.integer(),
    completionTokens: p.integer(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type LlmCall = InferEntity<typeof LlmCallEntity>;

import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConversationEntity, LlmCallEntity } from '../entities/index.ts';

/** Tokens of one LLM call, as the provider reported them. */
export interface LlmUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * Token usage: each LLM call is a row of `llm_calls`; the conversation keeps the running totals (prompt, completion,
 * calls), incremented atomically in the same transaction, so totals and rows always agree.
 */
export class UsageService {
  /** Records one call of `model` for the conversation. Resolves when both writes are committed. */
  async record(em: EntityManager, conversationId: string, model: string, usage: LlmUsage): Promise<void> {
    await em.transactional(async (tx) => {
      tx.create(LlmCallEntity, { conversationId, model, promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens });
      await tx.flush();
      await tx.nativeUpdate(
        ConversationEntity,
        { id: conversationId },
        {
          promptTokens: raw('prompt_tokens + ?', [usage.prompt_tokens]),
          completionTokens: raw('completion_tokens + ?', [usage.completion_tokens]),
          llmCalls: raw('llm_calls + 1'),
        },
      );
    });
  }
}

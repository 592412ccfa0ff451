import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { UsageDay, UsageList } from '@metisai/sdk/schemas';
import { ConversationEntity, LlmCallEntity } from '../entities/index.ts';

/** Days `daily()` covers when the caller names none. */
export const DEFAULT_USAGE_DAYS = 14;

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

  /**
   * The user's tokens per day over the last `days` days (today included), days counted in the IANA zone `timeZone`,
   * from the stored LLM calls of their conversations (a deleted conversation's calls go with it). `agentIds` (an API
   * key's restriction) keeps the conversations of those agents. Every day is listed, oldest first, zeros included.
   */
  async daily(em: EntityManager, userId: string, options: { days?: number; timeZone?: string; agentIds?: readonly string[] | null }): Promise<UsageList> {
    const days = options.days ?? DEFAULT_USAGE_DAYS;
    const timeZone = options.timeZone ?? 'UTC';
    const agentIds = options.agentIds ?? null;
    // One grouped query: the calls since the start of the first day in that zone, joined to the caller's conversations.
    const rows = await em.execute<{ day: string; prompt: string; completion: string; calls: string; today: string }[]>(
      `with bounds as (select (now() at time zone ?)::date as today)
       select to_char((lc.created_at at time zone ?)::date, 'YYYY-MM-DD') as day,
              sum(lc.prompt_tokens)::text as prompt, sum(lc.completion_tokens)::text as completion, count(*)::text as calls,
              to_char((select today from bounds), 'YYYY-MM-DD') as today
         from llm_calls lc
         join conversations c on c.id = lc.conversation_id
        where c.user_id = ?
          and lc.created_at >= (((select today from bounds) - (? - 1))::timestamp at time zone ?)
          ${agentIds ? 'and c.agent_id = any(?::uuid[])' : ''}
        group by 1`,
      [timeZone, timeZone, userId, days, timeZone, ...(agentIds ? [`{${agentIds.join(',')}}`] : [])],
    );
    const byDay = new Map(rows.map((row) => [row.day, row]));
    const today =
      rows[0]?.today ?? (await em.execute<{ today: string }[]>(`select to_char((now() at time zone ?)::date, 'YYYY-MM-DD') as today`, [timeZone]))[0]!.today;
    const data: UsageDay[] = [];
    for (let offset = days - 1; offset >= 0; offset -= 1) {
      const date = new Date(`${today}T00:00:00Z`);
      date.setUTCDate(date.getUTCDate() - offset);
      const key = date.toISOString().slice(0, 10);
      const row = byDay.get(key);
      const prompt = Number(row?.prompt ?? 0);
      const completion = Number(row?.completion ?? 0);
      data.push({ date: key, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, llm_calls: Number(row?.calls ?? 0) });
    }
    return { time_zone: timeZone, data };
  }
}

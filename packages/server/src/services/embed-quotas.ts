import type { EntityManager } from '@mikro-orm/postgresql';
import type { EmbedQuotas, Quota } from '@metisai/sdk/schemas';
import { QuotaExceededError } from '../errors.ts';
import { uuid7 } from '../security/uuid7.ts';

/** Whose visitor quotas a call counts against. */
export interface VisitorQuotaSubject {
  agentId: string;
  visitorId: string;
  quotas: EmbedQuotas;
}

const HOUR_MS = 3600_000;

/** Seconds until the next midnight UTC (at least 1): when the tokens of the day count again from zero. */
export const secondsToUtcMidnight = (now = new Date()): number => {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
};

/**
 * Quotas of an embedded agent's visitors, counted in Postgres so they hold across replicas: messages over the last hour
 * and tokens since midnight UTC, per visitor and for all the agent's visitors together, from the rows of `embed_usage`
 * (kept apart from conversations: a visitor deleting a conversation frees nothing), and visitors' open event streams.
 * Refusals are `QuotaExceededError`s with `Retry-After`. Running sandboxes are counted by the sandbox manager.
 */
export class EmbedQuotaService {
  readonly #streamsPerVisitor: number;

  constructor(options: { streamsPerVisitor: number }) {
    this.#streamsPerVisitor = options.streamsPerVisitor;
  }

  /**
   * Room for one more visitor message (and tokens left today), checked and counted in `tx` under the agent's lock, so
   * that concurrent messages in any process cannot both take the last place. Call inside the transaction that stores
   * the message. Throws `QuotaExceededError` (`visitor_messages_per_hour`, `agent_messages_per_hour`,
   * `visitor_tokens_per_day`, `agent_tokens_per_day`) with `Retry-After`.
   */
  async admitMessage(tx: EntityManager, subject: VisitorQuotaSubject): Promise<void> {
    const { agentId, visitorId, quotas } = subject;
    await tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`quota:embed:${agentId}`]);
    const [row] = await tx.execute<
      {
        visitor_messages: string;
        visitor_oldest: Date | null;
        agent_messages: string;
        agent_oldest: Date | null;
        visitor_tokens: string;
        agent_tokens: string;
      }[]
    >(
      `select
         count(*) filter (where messages > 0 and created_at > now() - interval '1 hour' and visitor_id = ?) as visitor_messages,
         min(created_at) filter (where messages > 0 and created_at > now() - interval '1 hour' and visitor_id = ?) as visitor_oldest,
         count(*) filter (where messages > 0 and created_at > now() - interval '1 hour') as agent_messages,
         min(created_at) filter (where messages > 0 and created_at > now() - interval '1 hour') as agent_oldest,
         coalesce(sum(tokens) filter (where visitor_id = ? and created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'), 0) as visitor_tokens,
         coalesce(sum(tokens) filter (where created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'), 0) as agent_tokens
       from embed_usage
       where agent_id = ? and created_at > least(now() - interval '1 hour', date_trunc('day', now() at time zone 'utc') at time zone 'utc')`,
      [visitorId, visitorId, visitorId, agentId],
    );
    const untilOlderLeaves = (oldest: Date | null) => (oldest ? Math.max(1, Math.ceil((new Date(oldest).getTime() + HOUR_MS - Date.now()) / 1000)) : 3600);
    const refuse = (quota: Quota, limit: number, current: number, what: string, retryAfter: number) => {
      throw new QuotaExceededError(quota, limit, current, what, retryAfter);
    };
    const visitorMessages = Number(row?.visitor_messages ?? 0);
    const agentMessages = Number(row?.agent_messages ?? 0);
    const visitorTokens = Number(row?.visitor_tokens ?? 0);
    const agentTokens = Number(row?.agent_tokens ?? 0);
    if (visitorMessages >= quotas.visitor_messages_per_hour) {
      refuse(
        'visitor_messages_per_hour',
        quotas.visitor_messages_per_hour,
        visitorMessages,
        `You sent ${visitorMessages} messages in the last hour, the most this agent takes from one visitor`,
        untilOlderLeaves(row?.visitor_oldest ?? null),
      );
    }
    if (agentMessages >= quotas.agent_messages_per_hour) {
      refuse(
        'agent_messages_per_hour',
        quotas.agent_messages_per_hour,
        agentMessages,
        `This agent's visitors sent ${agentMessages} messages in the last hour, the most it takes`,
        untilOlderLeaves(row?.agent_oldest ?? null),
      );
    }
    if (visitorTokens >= quotas.visitor_tokens_per_day) {
      refuse(
        'visitor_tokens_per_day',
        quotas.visitor_tokens_per_day,
        visitorTokens,
        `Your conversations used ${visitorTokens} tokens today (UTC), the most this agent allows one visitor`,
        secondsToUtcMidnight(),
      );
    }
    if (agentTokens >= quotas.agent_tokens_per_day) {
      refuse(
        'agent_tokens_per_day',
        quotas.agent_tokens_per_day,
        agentTokens,
        `This agent's visitors used ${agentTokens} tokens today (UTC), the most it allows`,
        secondsToUtcMidnight(),
      );
    }
    await tx.execute('insert into embed_usage (agent_id, visitor_id, messages, tokens) values (?, ?, 1, 0)', [agentId, visitorId]);
  }

  /** Tokens the visitor may still use today: the smaller of what is left of their quota and of the agent's (≥ 0). */
  async tokensLeft(em: EntityManager, subject: VisitorQuotaSubject): Promise<number> {
    const [row] = await em.execute<{ visitor_tokens: string; agent_tokens: string }[]>(
      `select
         coalesce(sum(tokens) filter (where visitor_id = ?), 0) as visitor_tokens,
         coalesce(sum(tokens), 0) as agent_tokens
       from embed_usage
       where agent_id = ? and created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'`,
      [subject.visitorId, subject.agentId],
    );
    return Math.max(
      0,
      Math.min(subject.quotas.visitor_tokens_per_day - Number(row?.visitor_tokens ?? 0), subject.quotas.agent_tokens_per_day - Number(row?.agent_tokens ?? 0)),
    );
  }

  /** Counts the tokens of one LLM call of a visitor's run. */
  async recordTokens(em: EntityManager, agentId: string, visitorId: string, tokens: number): Promise<void> {
    await em.execute('insert into embed_usage (agent_id, visitor_id, messages, tokens) values (?, ?, 0, ?)', [agentId, visitorId, tokens]);
  }

  /** Rows no quota looks at any more (older than a day and an hour). */
  async sweep(em: EntityManager): Promise<number> {
    return (await em.execute<{ id: string }[]>(`delete from embed_usage where created_at < now() - interval '25 hours' returning id`)).length;
  }

  /**
   * Registers an open event stream of a visitor (under the agent's owner, who is not charged for it), or refuses when
   * the visitor has `QUOTA_STREAMS_PER_VISITOR` open (`visitor_streams`). Answers the row's id, for
   * `QuotaService.closeStream`.
   */
  async openVisitorStream(em: EntityManager, ownerId: string, visitorId: string, expiresAt: Date): Promise<string> {
    return em.transactional(async (tx) => {
      await tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`quota:visitor-streams:${visitorId}`]);
      await tx.execute('delete from open_streams where visitor_id = ? and expires_at <= now()', [visitorId]);
      const [row] = await tx.execute<{ count: string }[]>('select count(*) as count from open_streams where visitor_id = ?', [visitorId]);
      const current = Number(row?.count ?? 0);
      if (current >= this.#streamsPerVisitor) {
        throw new QuotaExceededError(
          'visitor_streams',
          this.#streamsPerVisitor,
          current,
          `You have ${current} open event streams, the most this server allows a visitor`,
        );
      }
      const id = uuid7();
      await tx.execute('insert into open_streams (id, user_id, visitor_id, opened_at, expires_at) values (?, ?, ?, now(), ?)', [
        id,
        ownerId,
        visitorId,
        expiresAt,
      ]);
      return id;
    });
  }
}

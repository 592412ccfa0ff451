import type { EntityManager } from '@mikro-orm/postgresql';
import { type AgentConfig, ErrorCode } from '@metisai/sdk/schemas';
import type { Quotas } from '../config.ts';
import { AgentEntity, ConversationEntity, type Conversation } from '../entities/index.ts';
import { InvalidRequestError, QuotaExceededError } from '../errors.ts';
import { uuid7 } from '../security/uuid7.ts';

/** Events a user message adds to a conversation: the message and its `state: running`. */
const EVENTS_PER_MESSAGE = 2;

/**
 * Per-user quotas counted in Postgres, so they hold across replicas: each check counts under a transaction-scoped
 * advisory lock on `quota:<what>:<user>`, so two processes cannot both take the last unit. Every refusal of a count is a
 * `QuotaExceededError` (429 `quota_exceeded` with `quota`, `limit` and `current`). Running sandboxes are counted by
 * the sandbox manager (sandboxes/), which sees the engine; this service covers the rest.
 */
export class QuotaService {
  readonly limits: Quotas;

  constructor(limits: Quotas) {
    this.limits = limits;
  }

  /** Takes the user's lock for `what` until the end of `tx`'s transaction. Call inside `em.transactional`. */
  async lock(tx: EntityManager, what: string, userId: string): Promise<void> {
    await tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`quota:${what}:${userId}`]);
  }

  /**
   * An agent config within the operator's caps: `idle_timeout_seconds` (`QUOTA_MAX_IDLE_TIMEOUT_SECONDS`),
   * `warm_pool_size` (`QUOTA_MAX_WARM_POOL_SIZE`) and, when `embed.enabled`, `embed.policy.quotas.agent_sandboxes`
   * (`QUOTA_MAX_EMBED_SANDBOXES_PER_AGENT`). A value over its cap is a value the server does not take, not a limit
   * reached: a 400 `validation_error` naming every such field (`config.…`), the cap in each message and, when one field
   * is at fault, in `limit`.
   */
  checkAgentConfig(config: AgentConfig): void {
    const caps: [string, number | undefined, number, string][] = [
      ['config.idle_timeout_seconds', config.idle_timeout_seconds, this.limits.maxIdleTimeoutSeconds, 'QUOTA_MAX_IDLE_TIMEOUT_SECONDS'],
      ['config.warm_pool_size', config.warm_pool_size, this.limits.maxWarmPoolSize, 'QUOTA_MAX_WARM_POOL_SIZE'],
      // Only while embedding is on, when the value counts: the default (5) over a lower cap must not refuse every agent.
      [
        'config.embed.policy.quotas.agent_sandboxes',
        config.embed?.enabled ? config.embed.policy.quotas.agent_sandboxes : undefined,
        this.limits.maxEmbedSandboxesPerAgent,
        'QUOTA_MAX_EMBED_SANDBOXES_PER_AGENT',
      ],
    ];
    const over = caps.filter(([, value, cap]) => value !== undefined && value > cap);
    if (over.length === 0) return;
    const details = over.map(([path, , cap, variable]) => ({ path, message: `may be at most ${cap} on this server (${variable})` }));
    throw new InvalidRequestError(ErrorCode.validation, `Invalid request body: ${details.map((detail) => `${detail.path}: ${detail.message}`).join('; ')}`, {
      details,
      extra: over.length === 1 ? { limit: over[0]![2] } : {},
    });
  }

  /** Room for one more agent (deleted ones do not count). Call inside the transaction that creates it, after `lock(tx, 'agents', …)`. */
  async checkAgentCount(tx: EntityManager, userId: string): Promise<void> {
    const current = await tx.count(AgentEntity, { userId, deletedAt: null });
    if (current >= this.limits.agents) {
      throw new QuotaExceededError('agents', this.limits.agents, current, `You have ${current} agents, the most this server allows; delete one first`);
    }
  }

  /**
   * Room for one more run: the user's own conversations in `running` (visitors' count against their agent's embed
   * quotas instead), other than `conversationId`. Call under `lock(tx, 'runs', …)`.
   */
  async checkRunCount(tx: EntityManager, userId: string, conversationId: string): Promise<void> {
    const current = await tx.count(ConversationEntity, { userId, visitorId: null, state: 'running', id: { $ne: conversationId } });
    if (current >= this.limits.runs) {
      throw new QuotaExceededError('runs', this.limits.runs, current, `${current} of your conversations are running, the most this server allows at once`);
    }
  }

  /** Room in the conversation's log for a user message and the run it starts. */
  checkEventCount(conversation: Pick<Conversation, 'lastSeq'>): void {
    if (conversation.lastSeq + EVENTS_PER_MESSAGE > this.limits.eventsPerConversation) {
      throw new QuotaExceededError(
        'events',
        this.limits.eventsPerConversation,
        conversation.lastSeq,
        `This conversation holds ${conversation.lastSeq} events, the most this server allows; start a new conversation`,
      );
    }
  }

  /**
   * The workspace's last measured size, plus the bytes its snapshots added to the snapshot store (`snapshotBytes`), is
   * within the limit.
   */
  checkWorkspace(conversation: Pick<Conversation, 'workspaceBytes'>, snapshotBytes = 0): void {
    const bytes = (conversation.workspaceBytes ?? 0) + snapshotBytes;
    if (bytes > this.limits.workspaceBytes) {
      throw new QuotaExceededError(
        'workspace_bytes',
        this.limits.workspaceBytes,
        bytes,
        `The workspace of this conversation and its snapshots hold ${bytes} bytes (measured after its last run), over the ${this.limits.workspaceBytes} bytes this server allows; prune its snapshots (DELETE …/snapshots?before_seq=), start a new conversation, or delete this one to free it`,
      );
    }
  }

  /**
   * Registers an open event stream of the user, or refuses when they have `limit` open (their agents' visitors' streams
   * are not theirs). A row of a process that died counts until `expiresAt` (the stream's maximum age). Answers the
   * row's id, for `closeStream`.
   */
  async openStream(em: EntityManager, userId: string, expiresAt: Date): Promise<string> {
    return em.transactional(async (tx) => {
      await this.lock(tx, 'streams', userId);
      await tx.execute('delete from open_streams where user_id = ? and visitor_id is null and expires_at <= now()', [userId]);
      const [row] = await tx.execute<{ count: string }[]>('select count(*) as count from open_streams where user_id = ? and visitor_id is null', [userId]);
      const current = Number(row?.count ?? 0);
      if (current >= this.limits.streams) {
        throw new QuotaExceededError('streams', this.limits.streams, current, `You have ${current} open event streams, the most this server allows`);
      }
      const id = uuid7();
      await tx.execute('insert into open_streams (id, user_id, opened_at, expires_at) values (?, ?, now(), ?)', [id, userId, expiresAt]);
      return id;
    });
  }

  /** The stream ended. */
  async closeStream(em: EntityManager, id: string): Promise<void> {
    await em.execute('delete from open_streams where id = ?', [id]);
  }
}

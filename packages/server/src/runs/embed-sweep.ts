import type { Logger } from 'pino';
import type { AdvisoryLocks } from '../db/advisory-locks.ts';
import type { Orm } from '../db/orm.ts';
import type { Conversation } from '../entities/index.ts';
import type { EmbedQuotaService } from '../services/embed-quotas.ts';
import type { ConfirmationTimeouts } from './confirmation-timeouts.ts';
import type { ConversationRunner } from './conversation-runner.ts';

export interface EmbedSweepDeps {
  orm: Orm;
  logger: Logger;
  locks: AdvisoryLocks;
  runner: ConversationRunner;
  confirmations: ConfirmationTimeouts;
  embedQuotas: EmbedQuotaService;
  /** `EMBED_SWEEP_SECONDS`. */
  intervalSeconds: number;
}

/** Held by the process sweeping, so replicas take turns instead of sweeping at once. */
const SWEEP_LOCK = 'embed-sweep';
/** Conversations deleted per sweep at most (the next sweep goes on). */
const BATCH = 500;

/**
 * Housekeeping of embedded agents, done once across replicas (an advisory lock) at start and every
 * `EMBED_SWEEP_SECONDS`: visitors' conversations idle longer than their agent's `embed.retention_days` are deleted
 * with their sandboxes and workspaces; overdue confirmations of visitors' actions are rejected (see `ConfirmationTimeouts`); usage
 * rows no quota reads any more are removed.
 */
export class EmbedSweep {
  readonly #deps: EmbedSweepDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #isClosed = false;

  constructor(deps: EmbedSweepDeps) {
    this.#deps = deps;
  }

  /** Sweeps now, then every interval. */
  start(): void {
    const tick = () => {
      this.#running = this.sweep().catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'embed sweep failed'));
    };
    tick();
    this.#timer = setInterval(tick, this.#deps.intervalSeconds * 1000);
    this.#timer.unref();
  }

  /** One sweep, unless another process is sweeping. Answers what it deleted and rejected. */
  async sweep(): Promise<{ deleted: string[]; rejected: string[] }> {
    const { locks } = this.#deps;
    if (this.#isClosed || !(await locks.tryAcquire(SWEEP_LOCK))) return { deleted: [], rejected: [] };
    try {
      const deleted = await this.#expireConversations();
      const rejected = await this.#deps.confirmations.sweep();
      await this.#deps.embedQuotas.sweep(this.#deps.orm.em.fork());
      if (deleted.length > 0) this.#deps.logger.info({ conversations: deleted }, "deleted visitors' conversations past retention");
      return { deleted, rejected };
    } finally {
      await locks.release(SWEEP_LOCK);
    }
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  async #expireConversations(): Promise<string[]> {
    const em = this.#deps.orm.em.fork();
    const expired = `c.visitor_id is not null and c.state <> 'running'
      and c.updated_at < now() - make_interval(days => (a.config -> 'embed' ->> 'retention_days')::int)`;
    const rows = await em.execute<{ id: string; state: string; sandbox_id: string | null; workspace: string | null }[]>(
      `select c.id, c.state, c.sandbox_id, c.workspace from conversations c join agents a on a.id = c.agent_id
       where a.config -> 'embed' ->> 'retention_days' is not null and ${expired} limit ${BATCH}`,
    );
    const deleted: string[] = [];
    for (const row of rows) {
      // Checked again as it goes: a conversation the visitor wrote to meanwhile stays.
      const removed = await em.execute<{ id: string }[]>(
        `delete from conversations c using agents a where c.id = ? and a.id = c.agent_id and ${expired} returning c.id`,
        [row.id],
      );
      if (removed.length === 0) continue;
      await this.#deps.runner.forget({ id: row.id, state: row.state as Conversation['state'], sandboxId: row.sandbox_id, workspace: row.workspace });
      deleted.push(row.id);
    }
    return deleted;
  }
}

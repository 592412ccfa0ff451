import { EmbedPolicySchema } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import { pendingActions } from '../agent/index.ts';
import type { Orm } from '../db/orm.ts';
import { appendEvents, listEvents } from '../events/event-log.ts';
import type { RunLock } from './run-lock.ts';

export interface ConfirmationTimeoutsDeps {
  orm: Orm;
  logger: Logger;
  runLock: RunLock;
}

/** What the observation of an action rejected for want of the owner's answer says (the model reads it). */
export const confirmationTimedOut = (seconds: number) =>
  `The owner of this agent did not approve this action within ${seconds} s, so it was rejected and not executed.`;

/**
 * A visitor cannot answer a confirmation (only the agent's owner can): an action of a visitor's conversation left in
 * `awaiting_confirmation` longer than the agent's `embed.policy.confirmation_timeout_seconds` is rejected — its
 * observation says so and the conversation goes `idle` with reason `confirmation_timeout`, so the visitor can write
 * again. Timed by the process whose run paused (a timer), and by `sweep` (at start and periodically) for those whose
 * process died or was busy elsewhere.
 */
export class ConfirmationTimeouts {
  readonly #deps: ConfirmationTimeoutsDeps;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #isClosed = false;

  constructor(deps: ConfirmationTimeoutsDeps) {
    this.#deps = deps;
  }

  /** Rejects the conversation's pending action at `atMs` (epoch ms) unless it was answered by then. */
  schedule(conversationId: string, atMs: number): void {
    if (this.#isClosed) return;
    clearTimeout(this.#timers.get(conversationId));
    const timer = setTimeout(
      () => {
        this.#timers.delete(conversationId);
        this.expire(conversationId).catch((error: unknown) => this.#deps.logger.warn({ err: error, conversationId }, 'confirmation timeout failed'));
      },
      Math.max(0, Math.min(atMs - Date.now(), 2 ** 31 - 1)),
    );
    timer.unref();
    this.#timers.set(conversationId, timer);
  }

  /**
   * Every visitor's conversation waiting for a confirmation: rejected when its time is up, else timed here. Answers the
   * ids rejected.
   */
  async sweep(): Promise<string[]> {
    const em = this.#deps.orm.em.fork();
    const waiting = await em.execute<{ id: string; since: Date; timeout: number | null }[]>(
      `select c.id, e.created_at as since, (a.config -> 'embed' -> 'policy' ->> 'confirmation_timeout_seconds')::int as timeout
       from conversations c
       join events e on e.conversation_id = c.id and e.seq = c.last_seq
       join agents a on a.id = c.agent_id
       where c.visitor_id is not null and c.state = 'awaiting_confirmation'`,
    );
    const rejected: string[] = [];
    for (const row of waiting) {
      const deadline = new Date(row.since).getTime() + (row.timeout ?? EmbedPolicySchema.parse({}).confirmation_timeout_seconds) * 1000;
      if (deadline > Date.now()) this.schedule(row.id, deadline);
      else if (await this.expire(row.id)) rejected.push(row.id);
    }
    return rejected;
  }

  /**
   * Rejects the pending action of a visitor's conversation whose confirmation is overdue, under the run lock (a run
   * going elsewhere, a confirmation that came first, a newer pause: nothing happens). Answers whether it did.
   */
  async expire(conversationId: string): Promise<boolean> {
    const em = this.#deps.orm.em.fork();
    const attempt = await this.#deps.runLock.tryWithRunLock(conversationId, async () => {
      const [row] = await em.execute<{ state: string; since: Date; timeout: number | null }[]>(
        `select c.state, e.created_at as since, (a.config -> 'embed' -> 'policy' ->> 'confirmation_timeout_seconds')::int as timeout
         from conversations c
         join events e on e.conversation_id = c.id and e.seq = c.last_seq
         join agents a on a.id = c.agent_id
         where c.id = ? and c.visitor_id is not null`,
        [conversationId],
      );
      if (row?.state !== 'awaiting_confirmation') return false;
      const seconds = row.timeout ?? EmbedPolicySchema.parse({}).confirmation_timeout_seconds;
      const deadline = new Date(row.since).getTime() + seconds * 1000;
      if (deadline > Date.now()) {
        this.schedule(conversationId, deadline);
        return false;
      }
      const events = (await listEvents(em, conversationId, {})).data;
      await appendEvents(em, conversationId, [
        ...pendingActions(events).map((action) => ({
          type: 'observation' as const,
          tool_call_id: action.tool_call_id,
          content: confirmationTimedOut(seconds),
        })),
        { type: 'state', state: 'idle', reason: 'confirmation_timeout' },
      ]);
      this.#deps.logger.info({ conversationId, timeout_seconds: seconds }, 'confirmation timed out: action rejected');
      return true;
    });
    if (!attempt.taken) return false;
    return attempt.result;
  }

  close(): void {
    this.#isClosed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}

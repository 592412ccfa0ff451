import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '@metisai/sdk/schemas';
import type { AdvisoryLocks } from '../db/advisory-locks.ts';
import type { Orm } from '../db/orm.ts';
import { ConversationEntity } from '../entities/index.ts';
import { ConflictError } from '../errors.ts';

/** Longest wait for a holder that is not running a run (one finishing, or a short critical section), in ms. */
const FINISHING_WAIT_MS = 5_000;
const POLL_MS = 20;

/** Name of a conversation's run lock. */
export const runLockName = (conversationId: string) => `run:${conversationId}`;

/** The lock as `withRunLock` hands it to its function. */
export interface HeldRunLock {
  /** Keeps the lock after the function returns, until `work` settles (a run started in the background). */
  keepUntil(work: Promise<unknown>): void;
}

/** 409 `conversation_busy`, retry after a second. */
export const conversationBusy = () =>
  new ConflictError(ErrorCode.conversationBusy, 'The agent is still working on this conversation; stop it or wait for it to finish', { retryAfterSeconds: 1 });

/**
 * One run per conversation across every process: a Postgres advisory lock `run:<id>` held for the whole run (and for
 * the short writes that start, confirm or stop one). This is the only place that takes it.
 */
export class RunLock {
  readonly #locks: AdvisoryLocks;
  readonly #orm: Orm;

  constructor(locks: AdvisoryLocks, orm: Orm) {
    this.#locks = locks;
    this.#orm = orm;
  }

  /**
   * Runs `fn` holding the conversation's run lock, released when `fn` settles (or, after `keepUntil`, when that work
   * does). When someone else holds it:
   * - the conversation's committed state is `running`: a run is going → `ConflictError` `conversation_busy`;
   * - otherwise the holder is a run whose final `state` event is stored and which is letting go, or a request in its
   *   short critical section: wait for it (polling, at most 5 s), then take it — so a client that posts the moment a
   *   run ends is not refused. Throws `conversation_busy` if it is still held then.
   */
  async withRunLock<T>(conversationId: string, fn: (held: HeldRunLock) => Promise<T>): Promise<T> {
    const name = runLockName(conversationId);
    if (!(await this.#acquire(conversationId))) throw conversationBusy();
    let kept: Promise<unknown> | undefined;
    const release = () => this.#locks.release(name);
    try {
      return await fn({
        keepUntil: (work) => {
          kept = work;
        },
      });
    } finally {
      if (kept) void kept.then(release, release);
      else await release();
    }
  }

  /** Takes the lock only if it is free now (recovery skips conversations another process is running). */
  async tryWithRunLock<T>(conversationId: string, fn: () => Promise<T>): Promise<{ taken: false } | { taken: true; result: T }> {
    const name = runLockName(conversationId);
    if (!(await this.#locks.tryAcquire(name))) return { taken: false };
    try {
      return { taken: true, result: await fn() };
    } finally {
      await this.#locks.release(name);
    }
  }

  /** Does this process still hold the conversation's run lock? (False after the lock connection was lost.) */
  isHeldHere(conversationId: string): boolean {
    return this.#locks.holds(runLockName(conversationId));
  }

  /** Is the conversation's run lock held by another process? */
  isHeldElsewhere(conversationId: string): Promise<boolean> {
    return this.#locks.isHeldElsewhere(runLockName(conversationId));
  }

  async #acquire(conversationId: string): Promise<boolean> {
    const name = runLockName(conversationId);
    const deadline = Date.now() + FINISHING_WAIT_MS;
    for (;;) {
      if (await this.#locks.tryAcquire(name)) return true;
      const conversation = await this.#orm.em.fork().findOne(ConversationEntity, { id: conversationId }, { fields: ['state'] });
      if (!conversation || conversation.state === 'running' || Date.now() >= deadline) return false;
      await sleep(POLL_MS);
    }
  }
}

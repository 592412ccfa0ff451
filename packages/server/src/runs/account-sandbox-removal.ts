import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ControlChannel } from '../control/control-channel.ts';
import type { Orm } from '../db/orm.ts';
import { ConversationEntity } from '../entities/index.ts';
import type { SandboxManager } from '../sandboxes/sandbox-manager.ts';
import type { AccountSandboxes } from '../services/accounts.ts';
import type { ConversationRunner } from './conversation-runner.ts';

/** Longest wait for the user's runs (in any process) to end before their sandboxes are removed. */
const RUNS_END_WAIT_MS = 15_000;

export interface AccountSandboxRemovalDeps {
  orm: Orm;
  logger: Logger;
  control: ControlChannel;
  runner: ConversationRunner;
  sandboxes: SandboxManager;
}

/**
 * Removes a deleted account's sandboxes in every process: `remove_user_sandboxes` on the control channel makes each
 * process abort the user's runs and remove the sandboxes and warm pools it holds for them; the process deleting the
 * account then waits for the runs to end and removes whatever is left — every sandbox the driver lists with the user's
 * label, and every sandbox a conversation of theirs names — whichever process started it, running or stopped.
 */
export class AccountSandboxRemoval implements AccountSandboxes {
  readonly #deps: AccountSandboxRemovalDeps;
  readonly #unsubscribe: () => void;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(deps: AccountSandboxRemovalDeps) {
    this.#deps = deps;
    this.#unsubscribe = deps.control.on('remove_user_sandboxes', ({ user_id }) => void this.#track(this.#removeHere(user_id)));
  }

  async removeAllOf(userId: string): Promise<void> {
    const { orm, control, sandboxes } = this.#deps;
    const conversations = await orm.em.fork().find(ConversationEntity, { userId }, { fields: ['id', 'sandboxId', 'workspace'] });
    await control.send({ kind: 'remove_user_sandboxes', user_id: userId });
    await this.#runsEnded(userId);
    await Promise.allSettled([...this.#pending]);
    await sandboxes.removeUser(userId);
    // Each conversation's sandbox (removed as it is, never started) and its workspace, also when the sandbox was gone.
    for (const conversation of conversations) await sandboxes.remove(conversation.id, conversation.sandboxId ?? null, conversation.workspace ?? null);
  }

  /** Stops listening and waits for removals still going. */
  async close(): Promise<void> {
    this.#unsubscribe();
    await Promise.allSettled([...this.#pending]);
  }

  async #removeHere(userId: string): Promise<void> {
    await this.#deps.runner.stopUserRunsHere(userId);
    const removed = await this.#deps.sandboxes.removeUser(userId);
    if (removed.length > 0) this.#deps.logger.info({ user_id: userId, removed }, 'removed the sandboxes of a deleted account');
  }

  /** Waits until no conversation of the user is `running` (each process ends its aborted runs), at most 15 s. */
  async #runsEnded(userId: string): Promise<void> {
    const deadline = Date.now() + RUNS_END_WAIT_MS;
    while (Date.now() < deadline) {
      const running = await this.#deps.orm.em.fork().count(ConversationEntity, { userId, state: 'running' });
      if (running === 0) return;
      await sleep(50);
    }
    this.#deps.logger.warn({ user_id: userId }, 'runs of a deleted account still running; removing their sandboxes anyway');
  }

  #track(work: Promise<unknown>): void {
    const tracked = work
      .catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'removing the sandboxes of a deleted account failed'))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}

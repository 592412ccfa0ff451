import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agent } from '../../src/entities/index.ts';
import { type AgentLifecycle, ConfigCheck } from '../../src/services/agent-lifecycle.ts';

/** A door that holds callers while closed (closing it twice holds them behind the same door). */
export class Gate {
  #opened: Promise<void> = Promise.resolve();
  #open: (() => void) | null = null;

  close() {
    if (this.#open) return;
    this.#opened = new Promise((resolve) => (this.#open = resolve));
  }

  open() {
    this.#open?.();
    this.#open = null;
    this.#opened = Promise.resolve();
  }

  pass() {
    return this.#opened;
  }
}

/**
 * An agent start that waits at `starts` until the test opens it, then checks the config as the real one does (a
 * missing secret fails it): keeps an agent `starting` for as long as a test needs. Conversations still run in real
 * sandboxes, created on their first action.
 */
export class GatedLifecycle implements AgentLifecycle {
  readonly #checks = new ConfigCheck();
  readonly starts = new Gate();

  async start(em: EntityManager, agent: Agent): Promise<void> {
    await this.starts.pass();
    await this.#checks.start(em, agent);
  }

  async stop(): Promise<void> {}
}

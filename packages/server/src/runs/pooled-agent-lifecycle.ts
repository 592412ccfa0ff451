import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agent } from '../entities/index.ts';
import type { SandboxManager } from '../sandboxes/sandbox-manager.ts';
import { type AgentLifecycle, ConfigCheck } from '../services/agent-lifecycle.ts';
import type { RunRecovery } from './run-recovery.ts';

/**
 * Starting an agent checks its config and pre-warms `warm_pool_size` sandboxes for its next conversations; stopping it
 * stops its runs in every process and removes its pool here.
 */
export class PooledAgentLifecycle implements AgentLifecycle {
  readonly #checks = new ConfigCheck();
  readonly #sandboxes: SandboxManager;
  readonly #recovery: RunRecovery;

  constructor(sandboxes: SandboxManager, recovery: RunRecovery) {
    this.#sandboxes = sandboxes;
    this.#recovery = recovery;
  }

  /**
   * Checks the config, that sandboxes can be had (an engine answers; the driver can enforce the agent's network
   * policy), then fills the warm pool. A failure puts the agent in `error` with the reason as `status_message`.
   */
  async start(em: EntityManager, agent: Agent): Promise<void> {
    await this.#checks.start(em, agent);
    const network = agent.config.network ?? 'egress';
    await this.#sandboxes.assertAvailable(network);
    await this.#sandboxes.warmPool(agent.id, agent.config.warm_pool_size, agent.config.sandbox_image, network);
  }

  async stop(_em: EntityManager, agent: Agent): Promise<void> {
    await this.#recovery.stopAgentRunsEverywhere(agent.id);
    await this.#sandboxes.closePool(agent.id);
  }
}

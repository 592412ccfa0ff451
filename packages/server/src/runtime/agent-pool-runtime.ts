import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agent } from '../entities/index.ts';
import { ConfigCheckingRuntime, type AgentRuntime } from '../services/agent-runtime.ts';
import type { ConversationRunner } from './conversation-runner.ts';
import type { SandboxManager } from './sandbox-manager.ts';

/**
 * Starting an agent checks its config and pre-warms `warm_pool_size` sandboxes for its next conversations;
 * stopping it cancels its runs here and removes its pool.
 */
export class AgentPoolRuntime implements AgentRuntime {
  readonly #checks = new ConfigCheckingRuntime();
  readonly #sandboxes: SandboxManager;
  readonly #runner: ConversationRunner;
  constructor(sandboxes: SandboxManager, runner: ConversationRunner) {
    this.#sandboxes = sandboxes;
    this.#runner = runner;
  }

  async start(em: EntityManager, agent: Agent): Promise<void> {
    await this.#checks.start(em, agent);
    await this.#sandboxes.warmPool(agent.id, agent.config.warm_pool_size, agent.config.sandbox_image);
  }

  async stop(_em: EntityManager, agent: Agent): Promise<void> {
    await this.#runner.stopAgentRunsEverywhere(agent.id);
    await this.#sandboxes.closePool(agent.id);
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { ControlChannel } from '../control/control-channel.ts';
import { type Agent, ConversationEntity } from '../entities/index.ts';
import { describeImageBuild } from '../sandboxes/image-build.ts';
import type { SandboxManager } from '../sandboxes/sandbox-manager.ts';
import { type AgentLifecycle, ConfigCheck, type ReportStartProgress } from '../services/agent-lifecycle.ts';
import type { RunRecovery } from './run-recovery.ts';

/**
 * Starting an agent checks its config, waits for its sandbox image when the server builds it (showing the build's
 * progress on the agent) and pre-warms `warm_pool_size` sandboxes for its next conversations (they count against the
 * user's sandbox quota); stopping it stops its runs and removes its pool in every process (`stop_agent`), and waits
 * until no waiting pool sandbox of the agent is left in the engine.
 */
export class PooledAgentLifecycle implements AgentLifecycle {
  readonly #checks = new ConfigCheck();
  readonly #sandboxes: SandboxManager;
  readonly #recovery: RunRecovery;

  readonly #unsubscribe: () => void;

  constructor(sandboxes: SandboxManager, recovery: RunRecovery, control: ControlChannel) {
    this.#sandboxes = sandboxes;
    this.#recovery = recovery;
    // The pool may live in another process than the one that stops the agent.
    this.#unsubscribe = control.on('stop_agent', ({ agent_id }) => void sandboxes.closePool(agent_id).catch(() => undefined));
  }

  close(): void {
    this.#unsubscribe();
  }

  /**
   * Checks the config, that sandboxes can be had (an engine answers; the driver can enforce the agent's network
   * policy), waits for the sandbox image when this server builds it (showing the build's progress on the agent), then
   * fills the warm pool. A failure puts the agent in `error` with the reason as `status_message`.
   */
  async start(em: EntityManager, agent: Agent, report: ReportStartProgress): Promise<void> {
    await this.#checks.start(em, agent);
    const network = agent.config.network ?? 'egress';
    await this.#sandboxes.assertAvailable(network);
    // Reports are chained (in order) and all written before the start goes on.
    let reporting: Promise<void> = Promise.resolve();
    try {
      await this.#sandboxes.prepareImage((status) => {
        reporting = reporting.then(() => report(describeImageBuild(status)));
      });
    } finally {
      await reporting;
    }
    await this.#sandboxes.warmPool(agent.id, agent.userId, agent.config.warm_pool_size, agent.config.sandbox_image, network);
  }

  /**
   * Stops the agent's runs in every process (`stop_agent`, on which each process also closes its pool), then removes
   * its waiting pool sandboxes whichever process made them, and answers once they are gone: the agent is `stopped`
   * only when they no longer count against the user's sandbox quota (a process slow to close its pool, or dead, would
   * leave them counting).
   */
  async stop(em: EntityManager, agent: Agent): Promise<void> {
    await this.#recovery.stopAgentRunsEverywhere(agent.id);
    await this.#sandboxes.removePool(agent.id, async (sandboxIds) => {
      const taken = await em.fork().find(ConversationEntity, { sandboxId: { $in: sandboxIds } }, { fields: ['sandboxId'] });
      return new Set(taken.map((conversation) => conversation.sandboxId!));
    });
  }
}

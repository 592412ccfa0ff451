import type { Logger } from 'pino';
import { runEnds } from '../agent/index.ts';
import type { ControlChannel } from '../control/control-channel.ts';
import type { Orm } from '../db/orm.ts';
import { ConversationEntity } from '../entities/index.ts';
import { appendEvents } from '../events/event-log.ts';
import type { ConversationRunner } from './conversation-runner.ts';
import { abandonedCloneEvents } from './repository-setup.ts';
import type { RunLock } from './run-lock.ts';

export interface RunRecoveryDeps {
  orm: Orm;
  logger: Logger;
  runLock: RunLock;
  runner: ConversationRunner;
  control: ControlChannel;
}

/**
 * What concerns runs beyond one conversation: at start, ending the runs a dead process left `running`; and stopping an
 * agent's runs in every process (each process aborts its own on the control channel's `stop_agent`).
 */
export class RunRecovery {
  readonly #deps: RunRecoveryDeps;
  readonly #unsubscribe: () => void;

  constructor(deps: RunRecoveryDeps) {
    this.#deps = deps;
    this.#unsubscribe = deps.control.on('stop_agent', ({ agent_id }) => deps.runner.stopAgentRunsHere(agent_id));
  }

  /**
   * Conversations left `running` whose run lock is free (the process that ran them is gone) end as `error` /
   * `interrupted` (a repository clone they were making, as `failed`). Answers their ids.
   */
  async recoverInterrupted(): Promise<string[]> {
    const em = this.#deps.orm.em.fork();
    const recovered: string[] = [];
    for (const { id } of await em.find(ConversationEntity, { state: 'running' }, { fields: ['id'] })) {
      const attempt = await this.#deps.runLock.tryWithRunLock(id, async () => {
        // Checked under the lock: the run may have ended between the query and the lock.
        const current = await em.fork().findOne(ConversationEntity, { id }, { fields: ['state'] });
        if (current?.state === 'running') {
          // A clone the dead process was making is marked failed first, so the workspace takes writes and a baseline again.
          await appendEvents(em, id, [...(await abandonedCloneEvents(em.fork(), id)), ...runEnds.runEndEvents(runEnds.interrupted())]);
        }
        return current?.state === 'running';
      });
      if (attempt.taken && attempt.result) recovered.push(id);
    }
    if (recovered.length > 0) this.#deps.logger.warn({ conversations: recovered }, 'marked interrupted runs');
    return recovered;
  }

  /** Asks every process (this one included) to stop the agent's runs. */
  stopAgentRunsEverywhere(agentId: string): Promise<void> {
    return this.#deps.control.send({ kind: 'stop_agent', agent_id: agentId });
  }

  close(): void {
    this.#unsubscribe();
  }
}

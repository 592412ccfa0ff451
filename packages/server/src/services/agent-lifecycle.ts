import type { EntityManager } from '@mikro-orm/postgresql';
import type { AgentStatusDetail } from '@metisai/sdk/schemas';
import { SecretEntity, type Agent } from '../entities/index.ts';

/** What a starting agent is doing that takes a while: its `status_message` and `status_detail`. */
export interface AgentStartProgress {
  message: string;
  detail: AgentStatusDetail;
}

/** Shows `progress` on the agent while it is still `starting` (in every process: it is stored). */
export type ReportStartProgress = (progress: AgentStartProgress) => Promise<void>;

/**
 * What starting and stopping an agent does beyond its status. `start` throws to put the agent in `error` with the
 * thrown message as `status_message`, and may `report` what it is doing meanwhile (building the sandbox image). The
 * server plugs in `PooledAgentLifecycle` (runs/): the image, warm sandbox pools and stopping runs; `ConfigCheck` alone
 * is what an app without a runner uses.
 */
export interface AgentLifecycle {
  start(em: EntityManager, agent: Agent, report: ReportStartProgress): Promise<void>;
  stop(em: EntityManager, agent: Agent): Promise<void>;
}

/** Names of secrets an agent's config refers to. */
export const referencedSecrets = (agent: Agent): string[] => [
  ...new Set([...agent.config.secrets, ...(agent.config.llm_api_key_secret ? [agent.config.llm_api_key_secret] : [])]),
];

/** Starting checks that every secret the config names exists, so a run cannot fail on a missing one later. */
export class ConfigCheck implements AgentLifecycle {
  async start(em: EntityManager, agent: Agent): Promise<void> {
    const wanted = referencedSecrets(agent);
    if (wanted.length === 0) return;
    const found = await em.find(SecretEntity, { userId: agent.userId, name: { $in: wanted } }, { fields: ['name'] });
    const missing = wanted.filter((name) => !found.some((secret) => secret.name === name));
    if (missing.length > 0) throw new Error(`the config names secrets that do not exist: ${missing.join(', ')}`);
  }

  async stop(): Promise<void> {}
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { SecretEntity, type Agent } from '../entities/index.ts';

/**
 * What starting and stopping an agent does beyond its status. `start` throws to put the agent in `error` with the
 * thrown message as `status_message`. The server plugs in `PooledAgentLifecycle` (runs/): warm sandbox pools and
 * stopping runs; `ConfigCheck` alone is what an app without a runner uses.
 */
export interface AgentLifecycle {
  start(em: EntityManager, agent: Agent): Promise<void>;
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

import type { EntityManager } from '@mikro-orm/postgresql';
import { UserEntity } from '../entities/index.ts';
import type { AgentService } from './agents.ts';

export class AccountService {
  readonly #agents: AgentService;

  constructor(agents: AgentService) {
    this.#agents = agents;
  }

  /** Stops the user's agents, then deletes the user; the database cascades to everything they own. */
  async delete(em: EntityManager, userId: string): Promise<void> {
    await this.#agents.stopAll(em, userId);
    await em.nativeDelete(UserEntity, { id: userId });
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { type AccountDeleteParams, ErrorCode } from '@metisai/sdk/schemas';
import { ApiKeyEntity, IdempotencyKeyEntity, SessionEntity, UserEntity } from '../entities/index.ts';
import { InvalidRequestError } from '../errors.ts';
import type { UserPrincipal } from '../security/principal.ts';
import { logSecurityEvent } from '../security/security-events.ts';
import type { AgentService } from './agents.ts';
import type { AuthService } from './auth.ts';
import type { RequestMeta, RevocationChannel } from './revocations.ts';

/**
 * What removing an account's sandboxes takes, implemented by the run machinery (runs/); an app built without a runner
 * has none (and no sandboxes).
 */
export interface AccountSandboxes {
  /**
   * Stops the user's runs and removes every sandbox of theirs — their conversations' and their agents' warm pools, in
   * every process, with their files — and resolves when this process has removed what it can reach.
   */
  removeAllOf(userId: string): Promise<void>;
}

export interface AccountServiceDeps {
  auth: AuthService;
  agents: AgentService;
  revocations: RevocationChannel;
  /** Null in an app without a runner. */
  sandboxes: AccountSandboxes | null;
}

export class AccountService {
  readonly #deps: AccountServiceDeps;

  constructor(deps: AccountServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Deletes the account once its password is given again (a wrong one is a 400 naming `password`): first its sessions
   * and API keys (they stop working, and their open streams end, in every process), then its agents are stopped and
   * every sandbox and workspace of the user removed, then its idempotency rows, then the user row — the database
   * cascades to everything else it owned.
   */
  async delete(em: EntityManager, principal: UserPrincipal, params: AccountDeleteParams, meta: RequestMeta): Promise<void> {
    const userId = principal.userId;
    const user = await em.findOneOrFail(UserEntity, { id: userId });
    if (!(await this.#deps.auth.verifyPassword(user, params.password))) {
      logSecurityEvent(meta.log, 'account_delete_failed', { user_id: userId, ip: meta.ip });
      throw new InvalidRequestError(ErrorCode.invalidCredentials, 'The password is incorrect', { details: [{ path: 'password', message: 'is incorrect' }] });
    }
    await em.transactional(async (tx) => {
      await tx.nativeDelete(SessionEntity, { userId });
      await tx.nativeDelete(ApiKeyEntity, { userId });
    });
    await this.#deps.revocations.send({ kind: 'revoke_user', user_id: userId, except_session_id: null });
    await this.#deps.agents.stopAll(em, userId);
    await this.#deps.sandboxes?.removeAllOf(userId);
    await em.nativeDelete(IdempotencyKeyEntity, { userId });
    await em.nativeDelete(UserEntity, { id: userId });
    logSecurityEvent(meta.log, 'account_deleted', { user_id: userId });
  }
}

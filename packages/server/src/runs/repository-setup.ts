import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sandbox } from '@metisai/sandbox';
import type { Logger } from 'pino';
import { type RunEnd, runEnds, SecretMasker } from '../agent/index.ts';
import type { Orm } from '../db/orm.ts';
import { ConversationEntity, type StoredRepository } from '../entities/index.ts';
import type { EventInput } from '../events/event-input.ts';
import { appendEvent } from '../events/event-log.ts';
import { CloneError, type CloneProgress, cloneRepository } from '../git/clone-repository.ts';
import type { EgressGuard } from '../security/egress-guard.ts';
import { repositoryJson } from '../services/conversations.ts';
import type { RunSettingsService } from '../services/run-settings.ts';
import type { SecretService } from '../services/secrets.ts';
import type { ConversationSandboxes } from './conversation-sandboxes.ts';

export interface RepositorySetupDeps {
  orm: Orm;
  logger: Logger;
  sandboxes: ConversationSandboxes;
  runSettings: RunSettingsService;
  secrets: SecretService;
  /** Every request of a clone goes through it (`fetch`): addresses checked when they connect, no redirects. */
  egress: EgressGuard;
  /** `CLONE_LIMIT_BYTES` and `CLONE_TIMEOUT_SECONDS`. */
  limits: { limitBytes: number; timeoutMs: number };
}

/** Progress of a running clone is stored at most this often. */
const PROGRESS_INTERVAL_MS = 2000;

/**
 * When the conversation's clone was left `cloning` by a process that is gone (or a run end that did not come from the
 * clone): marks it `failed` and answers the `workspace` event that says so, to store before the run's end. Nothing
 * otherwise.
 */
export async function abandonedCloneEvents(em: EntityManager, conversationId: string): Promise<EventInput[]> {
  const rows = await em.execute<{ repository: StoredRepository }[]>(
    `update conversations set repository = jsonb_set(repository, '{status}', '"failed"')
      where id = ? and repository->>'status' = 'cloning' returning repository`,
    [conversationId],
  );
  const repository = rows[0]?.repository;
  if (!repository) return [];
  return [{ type: 'workspace', phase: 'failed', repository: repositoryJson(repository), message: 'The clone was interrupted: the server stopped.' }];
}

/**
 * A conversation's repository, cloned on the server and copied into its workspace. The clone (isomorphic-git, see
 * `cloneRepository`) goes to a temporary directory of the server through the egress guard, with the token of
 * `token_secret` handed to the git client only; the result is copied into the conversation's sandbox (files owned by
 * the sandbox user), then the baseline of `GET …/changes` is taken, so the cloned commit is what changes are measured
 * against. Progress is stored as `workspace` events (`cloning`, at most every two seconds), the end as `ready` (through
 * `ConversationSandboxes.recordStep`) or `failed`.
 */
export class RepositorySetup {
  readonly #deps: RepositorySetupDeps;

  constructor(deps: RepositorySetupDeps) {
    this.#deps = deps;
  }

  /**
   * Clones the conversation's repository into its workspace. Answers `null` when the workspace is ready (or the
   * conversation has no repository to clone), else how the conversation's setup ends: `clone_failed` with the error's
   * code, a sandbox failure, or as the `signal`'s reason says (a stop, a shutdown). Never throws for a failed clone.
   */
  async run(conversationId: string, signal: AbortSignal): Promise<RunEnd | null> {
    const em = this.#deps.orm.em.fork();
    const conversation = await em.findOne(ConversationEntity, { id: conversationId });
    const repository = conversation?.repository;
    if (!conversation || !repository || repository.status !== 'cloning') return null;
    // The token is hidden from every message stored (it never should be in one).
    const masking = { masker: new SecretMasker() };
    let end: RunEnd | null;
    try {
      end = await this.#cloneAndCopy(em, conversationId, repository, signal, masking);
    } catch (error) {
      this.#deps.logger.error({ err: error, conversationId }, 'repository setup failed');
      end = runEnds.internalError(new Error(masking.masker.mask(error instanceof Error ? error.message : String(error))));
    }
    if (end) await this.#fail(em, conversationId, repository, end);
    return end;
  }

  async #cloneAndCopy(
    em: EntityManager,
    conversationId: string,
    repository: StoredRepository,
    signal: AbortSignal,
    masking: { masker: SecretMasker },
  ): Promise<RunEnd | null> {
    const { userId } = await em.findOneOrFail(ConversationEntity, { id: conversationId }, { fields: ['userId'] });
    let token: string | null = null;
    if (repository.token_secret) {
      token = (await this.#deps.secrets.reveal(em.fork(), userId, [repository.token_secret])).get(repository.token_secret) ?? null;
      if (token === null) {
        return runEnds.cloneFailed('repository_auth_failed', `repository.token_secret: you have no secret named ${repository.token_secret} (any more)`);
      }
      masking.masker = new SecretMasker({ [repository.token_secret]: token });
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'metisai-clone-'));
    try {
      const timeout = AbortSignal.timeout(this.#deps.limits.timeoutMs);
      let cloned;
      const progress = this.#progressWriter(em, conversationId, repository);
      try {
        cloned = await cloneRepository({
          url: repository.url,
          ref: repository.ref,
          depth: repository.depth,
          token,
          dir,
          fetch: this.#deps.egress.fetch,
          signal: AbortSignal.any([signal, timeout]),
          limitBytes: this.#deps.limits.limitBytes,
          onProgress: progress.write,
        });
      } catch (error) {
        await progress.settled();
        if (signal.aborted) return runEnds.aborted(signal.reason);
        if (timeout.aborted) {
          const seconds = this.#deps.limits.timeoutMs / 1000;
          return runEnds.cloneFailed(
            'repository_unreachable',
            `repository.url: the clone took longer than this server allows (${seconds} s, CLONE_TIMEOUT_SECONDS)`,
          );
        }
        if (error instanceof CloneError) return runEnds.cloneFailed(error.code, masking.masker.mask(error.message));
        throw error;
      }
      await progress.settled();
      return await this.#copyIn(em, conversationId, repository, dir, cloned, signal);
    } finally {
      await rm(dir, { recursive: true, force: true }).catch((error: unknown) =>
        this.#deps.logger.warn({ err: error, conversationId }, 'the temporary clone was not removed'),
      );
    }
  }

  /** Copies the clone into the conversation's workspace, stores the commit, takes the baseline and records `ready`. */
  async #copyIn(
    em: EntityManager,
    conversationId: string,
    repository: StoredRepository,
    dir: string,
    cloned: CloneProgress & { commit: string },
    signal: AbortSignal,
  ): Promise<RunEnd | null> {
    const conversation = await em.fork().findOneOrFail(ConversationEntity, { id: conversationId });
    const settings = await this.#deps.runSettings.resolveSandbox(em.fork(), conversation);
    let sandbox: Sandbox;
    try {
      sandbox = await this.#deps.sandboxes.acquire(conversation, settings);
    } catch (error) {
      return runEnds.sandboxFailure(error);
    }
    try {
      if (signal.aborted) return runEnds.aborted(signal.reason);
      try {
        await sandbox.files.uploadDir(dir, sandbox.workdir);
      } catch (error) {
        return runEnds.sandboxFailure(error);
      }
      // The baseline before the row says `ready`: uploads are refused until then, so none lands in the baseline.
      await this.#deps.sandboxes.takeBaseline(conversationId, sandbox);
      const ready: StoredRepository = { ...repository, status: 'ready', commit: cloned.commit };
      await em.fork().nativeUpdate(ConversationEntity, { id: conversationId }, { repository: ready });
      const handle = { files: sandbox.files, workdir: sandbox.workdir, release: () => undefined };
      await this.#deps.sandboxes.recordStep(conversationId, handle, {
        type: 'workspace',
        phase: 'ready',
        repository: repositoryJson(ready),
        received_objects: cloned.receivedObjects,
        received_bytes: cloned.receivedBytes,
      });
      return null;
    } finally {
      this.#deps.sandboxes.release(conversationId, settings.idleTimeoutSeconds);
    }
  }

  /**
   * Stores `cloning` events as the clone goes on, at most every `PROGRESS_INTERVAL_MS`, one at a time, in order.
   * `settled()` resolves once the one being stored (if any) is in, so the clone's last event comes after it.
   */
  #progressWriter(em: EntityManager, conversationId: string, repository: StoredRepository): { write(progress: CloneProgress): void; settled(): Promise<void> } {
    let last = Date.now();
    let writing: Promise<void> | null = null;
    return {
      write: (progress) => {
        if (writing || Date.now() - last < PROGRESS_INTERVAL_MS) return;
        last = Date.now();
        writing = appendEvent(em.fork(), conversationId, {
          type: 'workspace',
          phase: 'cloning',
          repository: repositoryJson(repository),
          received_objects: progress.receivedObjects,
          received_bytes: progress.receivedBytes,
        })
          .then(() => undefined)
          .catch((error: unknown) => this.#deps.logger.warn({ err: error, conversationId }, 'clone progress not stored'))
          .finally(() => {
            writing = null;
          });
      },
      settled: async () => {
        await writing;
      },
    };
  }

  /** Marks the repository `failed` and stores the `workspace` event that says why (the run's end follows it). */
  async #fail(em: EntityManager, conversationId: string, repository: StoredRepository, end: RunEnd): Promise<void> {
    try {
      const failed: StoredRepository = { ...repository, status: 'failed', commit: null };
      const updated = await em.fork().nativeUpdate(ConversationEntity, { id: conversationId }, { repository: failed });
      if (updated === 0) return; // deleted meanwhile
      const message = end.error?.message ?? (end.reason === 'user_stop' ? 'The clone was stopped.' : 'The clone did not finish.');
      await appendEvent(em.fork(), conversationId, { type: 'workspace', phase: 'failed', repository: repositoryJson(failed), message });
    } catch (error) {
      this.#deps.logger.warn({ err: error, conversationId }, 'the failed clone was not recorded');
    }
  }
}

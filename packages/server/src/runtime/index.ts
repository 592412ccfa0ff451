import path from 'node:path';
import { createSandboxDriver } from '@metisai/sandbox';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Orm } from '../db/orm.ts';
import type { EventBus } from '../events/index.ts';
import { ConversationEntity } from '../entities/index.ts';
import { uuid7 } from '../security/uuid7.ts';
import type { SecretService } from '../services/secrets.ts';
import type { SettingsService } from '../services/settings.ts';
import { AgentPoolRuntime } from './agent-pool-runtime.ts';
import { ConversationRunner } from './conversation-runner.ts';
import { RunLocks } from './run-locks.ts';
import { detectSandboxDriver } from './detect-sandbox-driver.ts';
import { instanceLock, SandboxManager, sandboxOwner } from './sandbox-manager.ts';

export interface AgentRuntimeDeps {
  config: Config;
  orm: Orm;
  logger: Logger;
  databaseUrl: string;
  events: EventBus;
}

/**
 * The machinery that runs agents in this process: its instance id and lock, the run locks, the sandboxes
 * (driver detected once) and the conversation runner. `wire` connects it to the services it needs.
 */
export async function openAgentRuntime(deps: AgentRuntimeDeps) {
  const [installation] = await deps.orm.em.fork().execute<{ id: string }[]>('select id from installation limit 1');
  // Sandboxes are labelled `metisai:<installation>:<process>`: a server reaps only its own installation's.
  const instanceId = `${installation!.id}:${uuid7()}`;
  const logger = deps.logger.child({ component: 'runtime' });
  const locks = new RunLocks(deps.databaseUrl, logger);
  await locks.open();
  await locks.tryAcquire(instanceLock(instanceId));
  // The one sandbox driver of this process, built from the configuration.
  const driver = createSandboxDriver({
    driver: await detectSandboxDriver(deps.config.runtimeType, logger),
    owner: sandboxOwner(instanceId),
    onLog: (line) => logger.info({ sandbox: line }, 'sandbox'),
    docker: { image: deps.config.sandboxImage, allowedImages: deps.config.sandboxAllowedImages },
    local: { rootDir: path.join(deps.config.dataDir, 'sandboxes') },
  });
  const sandboxes = new SandboxManager({ driver, instanceId, logger, locks });
  let runner: ConversationRunner | undefined;
  return {
    driver: driver.name,
    wire(services: { settings: SettingsService; secrets: SecretService }) {
      runner = new ConversationRunner({ ...deps, ...services, logger, locks, sandboxes });
      return { runner, agentRuntime: new AgentPoolRuntime(sandboxes, runner) };
    },
    /** After start: interrupted runs are marked, orphaned sandboxes reaped (in the background). */
    async recover() {
      await runner!.recoverInterrupted();
      const referenced = await deps.orm.em.fork().find(ConversationEntity, { sandboxId: { $ne: null } }, { fields: ['sandboxId'] });
      void sandboxes
        .reapOrphans(new Set(referenced.map((conversation) => conversation.sandboxId!)))
        .catch((error: unknown) => logger.warn({ err: error }, 'reaping orphaned sandboxes failed'));
    },
    async close() {
      await runner?.close();
      await sandboxes.close();
      await locks.close();
    },
  };
}

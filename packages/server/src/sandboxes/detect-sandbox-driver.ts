import { type DockerEngineOptions, dockerDriver, type SandboxDriverName } from '@metisai/sandbox';
import type { Logger } from 'pino';

/** How long an engine may take to answer before it counts as absent. */
const PROBE_TIMEOUT_MS = 2000;

/** Whether a Docker engine answers (at `engine`, else the local socket) within 2 s; the error when not. */
async function probeDocker(engine: DockerEngineOptions): Promise<Error | null> {
  try {
    // Listing sandboxes is the driver's cheapest call that needs the engine; it throws when none answers.
    await Promise.race([
      dockerDriver({ engine }).list({ owner: 'metisai:engine-probe' }),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS).unref()),
    ]);
    return null;
  } catch (error) {
    return error as Error;
  }
}

/**
 * The driver name to build, failing closed:
 * - `requested` (`SANDBOX_DRIVER`) when set — `loadConfig` already refused `local` outside laptop mode without
 *   `ALLOW_UNSAFE_LOCAL_SANDBOX=true`;
 * - otherwise `docker` when an engine answers;
 * - otherwise, in laptop mode only, `local`, with a loud warning (commands then run on this host);
 * - otherwise still `docker`: agents cannot start until an engine answers (they end in `error` saying so), and the
 *   server says so now, at start.
 * `engine` is where Docker is (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`). A `docker` choice whose engine does not answer is logged as an error either way. Answers a name, not a driver: the
 * caller builds the driver once with `createSandboxDriver`.
 */
export async function detectSandboxDriver(
  requested: SandboxDriverName | undefined,
  isLaptopMode: boolean,
  logger: Logger,
  engine: DockerEngineOptions = {},
): Promise<SandboxDriverName> {
  if (requested === 'local') return 'local';
  const failure = await probeDocker(engine);
  if (!failure) return 'docker';
  if (!requested && isLaptopMode) {
    logger.warn(
      'No Docker engine answers: agents will run commands with the LOCAL driver, directly on this host, as this user. ' +
        'This happens only in laptop mode (NODE_ENV not production, HOST a loopback address); set SANDBOX_DRIVER=docker (and start Docker) for isolation.',
    );
    return 'local';
  }
  logger.error(
    { err: failure },
    'No Docker engine answers: agents cannot start and runs cannot get a sandbox until one does. Start Docker (or point DOCKER_HOST at one). ' +
      'Running agents on this host without isolation takes SANDBOX_DRIVER=local and ALLOW_UNSAFE_LOCAL_SANDBOX=true.',
  );
  return 'docker';
}

import { dockerDriver, type SandboxDriverName } from '@metisai/sandbox';
import type { Logger } from 'pino';

/** How long an engine may take to answer before the local driver is chosen. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * The driver name to build: `requested` when set; otherwise `docker` when a Docker engine answers (at
 * `DOCKER_HOST` or the local socket) within 2 s, else `local`, with a loud warning (commands then run on the host).
 * Answers a name, not a driver: the caller builds the driver once with `createSandboxDriver`.
 */
export async function detectSandboxDriver(requested: SandboxDriverName | undefined, logger: Logger): Promise<SandboxDriverName> {
  if (requested) return requested;
  try {
    // Listing sandboxes is the driver's cheapest call that needs the engine; it throws when none answers.
    await Promise.race([
      dockerDriver().list({ owner: 'metisai:engine-probe' }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS).unref()),
    ]);
    return 'docker';
  } catch {
    logger.warn(
      'No Docker engine answers: agents will run commands with the LOCAL driver, directly on this host, as this user. ' +
        'Use it for development only; set SANDBOX_DRIVER=docker (and start Docker) for isolation.',
    );
    return 'local';
  }
}

import { type DockerDriverOptions, dockerDriver } from './docker/docker-driver.ts';
import { InvalidArgumentError } from './errors.ts';
import { type LocalDriverOptions, localDriver } from './local/local-driver.ts';
import type { SandboxDriverName } from './sandbox.ts';
import type { SandboxDriver, SandboxDriverOptions } from './sandbox-driver.ts';

/** Settings of both drivers at once, as a server's configuration holds them; `driver` picks the one that is used. */
export interface SandboxDriverConfig extends SandboxDriverOptions {
  driver: SandboxDriverName;
  /** Used when `driver` is `docker`. */
  docker?: Omit<DockerDriverOptions, keyof SandboxDriverOptions>;
  /** Used when `driver` is `local`. */
  local?: Omit<LocalDriverOptions, keyof SandboxDriverOptions>;
}

/**
 * The driver `config.driver` names, built with the common settings and its own section (the other section is
 * ignored). Throws `InvalidArgumentError` for an unknown driver name.
 */
export function createSandboxDriver(config: SandboxDriverConfig): SandboxDriver {
  const { driver, docker, local, ...common } = config;
  if (driver === 'docker') return dockerDriver({ ...docker, ...common });
  if (driver === 'local') return localDriver({ ...local, ...common });
  throw new InvalidArgumentError(`Unknown sandbox driver "${String(driver)}" (docker or local)`);
}

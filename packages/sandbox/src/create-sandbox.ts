import { DockerSandbox, type DockerConnectOptions, type DockerSandboxOptions } from './docker/docker-sandbox.ts';
import { InvalidArgumentError } from './errors.ts';
import { LocalSandbox, type LocalConnectOptions, type LocalSandboxOptions } from './local/local-sandbox.ts';
import type { Sandbox, SandboxDriverName } from './sandbox.ts';

export type CreateSandboxOptions = ({ driver?: 'docker' } & DockerSandboxOptions) | ({ driver: 'local' } & LocalSandboxOptions);
export type ConnectSandboxOptions = ({ driver?: 'docker' } & DockerConnectOptions) | ({ driver: 'local' } & LocalConnectOptions);

/** `options.driver`, else `METISAI_SANDBOX_DRIVER`, else `docker`. */
export function sandboxDriverFrom(driver: SandboxDriverName | undefined): SandboxDriverName {
  const chosen = driver ?? process.env.METISAI_SANDBOX_DRIVER ?? 'docker';
  if (chosen !== 'docker' && chosen !== 'local') throw new InvalidArgumentError(`Unknown sandbox driver "${chosen}" (docker or local)`);
  return chosen;
}

/** Creates a sandbox with the chosen driver and waits until its shell is ready. */
export function createSandbox(options: CreateSandboxOptions = {}): Promise<Sandbox> {
  const driver = sandboxDriverFrom(options.driver);
  if (driver === 'local') return LocalSandbox.create(options as LocalSandboxOptions);
  return DockerSandbox.create(options as DockerSandboxOptions);
}

/** Reconnects to an existing sandbox by id (see `DockerSandbox.connect`). */
export function connectSandbox(id: string, options: ConnectSandboxOptions = {}): Promise<Sandbox> {
  const driver = options.driver ?? (id.startsWith('local-') ? 'local' : sandboxDriverFrom(undefined));
  if (driver === 'local') return LocalSandbox.connect(id, options as LocalConnectOptions);
  return DockerSandbox.connect(id, options as DockerConnectOptions);
}

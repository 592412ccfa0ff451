import Docker from 'dockerode';
import { DockerUnavailableError } from '../errors.ts';

/** A dockerode client for `DOCKER_HOST` (or the default unix socket). */
export function createDockerClient(): Docker {
  return new Docker();
}

/** Fails with `DockerUnavailableError` when no engine answers. */
export async function assertDockerAvailable(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    const where = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
    throw new DockerUnavailableError(
      `No Docker engine answers at ${where}: ${(err as Error).message}. Start one (scripts/ensure-docker.sh) or use the local driver.`,
      err,
    );
  }
}

/** HTTP status of a dockerode error, if it has one. */
export const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number } | null)?.statusCode;

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { DockerUnavailableError, InvalidArgumentError } from '../errors.ts';

/**
 * Where the Docker engine is and how to reach it, with the meaning the Docker CLI gives `DOCKER_HOST`,
 * `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH` (https://docs.docker.com/engine/security/protect-access/).
 */
export interface DockerEngineOptions {
  /** `unix:///var/run/docker.sock` (the default) or `tcp://host:port` (`2376` is TLS by convention). */
  host?: string;
  /**
   * `tcp://` only: TLS, the engine's certificate checked against `ca.pem` (name included) and this client's certificate
   * shown to it. Without it a `tcp://` engine is spoken to in plain HTTP, which anyone on the path can take over.
   */
  tlsVerify?: boolean;
  /** Directory of `ca.pem`, `cert.pem` and `key.pem` for `tlsVerify` (default `~/.docker`). */
  certPath?: string;
}

/** The engine's address as people write it, for messages. */
export function describeDockerHost(engine: DockerEngineOptions = {}): string {
  return engine.host ?? 'unix:///var/run/docker.sock';
}

/**
 * A dockerode client for `engine`. Without options, dockerode's own defaults apply (it reads `DOCKER_HOST`,
 * `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH` itself, else the local socket). Throws `InvalidArgumentError` for a host
 * that is neither `unix://` nor `tcp://`, and when the certificate files cannot be read.
 */
export function createDockerClient(engine?: DockerEngineOptions): Docker {
  if (!engine || (engine.host === undefined && !engine.tlsVerify)) return new Docker();
  const host = engine.host ?? 'unix:///var/run/docker.sock';
  // `host: undefined` keeps dockerode from taking DOCKER_HOST from the environment instead.
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length), host: undefined });
  if (!host.startsWith('tcp://')) throw new InvalidArgumentError(`Docker host "${host}" must be unix:///path/to/docker.sock or tcp://host:port`);
  const url = new URL(`http://${host.slice('tcp://'.length)}`);
  const tls = engine.tlsVerify === true;
  const port = url.port ? Number(url.port) : tls ? 2376 : 2375;
  if (!tls) return new Docker({ host: url.hostname, port, protocol: 'http' });
  const dir = engine.certPath ?? path.join(homedir(), '.docker');
  const read = (name: string) => {
    try {
      return readFileSync(path.join(dir, name));
    } catch (err) {
      throw new InvalidArgumentError(
        `Docker TLS: cannot read ${path.join(dir, name)} (${(err as Error).message}); the cert path needs ca.pem, cert.pem and key.pem`,
      );
    }
  };
  return new Docker({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    protocol: 'https',
    ca: read('ca.pem'),
    cert: read('cert.pem'),
    key: read('key.pem'),
  });
}

/** Fails with `DockerUnavailableError` when no engine answers. */
export async function assertDockerAvailable(docker: Docker, engine?: DockerEngineOptions): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    const where = engine?.host ?? process.env.DOCKER_HOST ?? describeDockerHost();
    throw new DockerUnavailableError(
      `No Docker engine answers at ${where}: ${(err as Error).message}. Start one (scripts/ensure-docker.sh) or use the local driver.`,
      err,
    );
  }
}

/** HTTP status of a dockerode error, if it has one. */
export const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number } | null)?.statusCode;

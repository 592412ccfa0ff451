import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lookup } from 'node:dns/promises';
import type Docker from 'dockerode';
import { ImageBuildError, ImageNotAllowedError, ImageNotFoundError } from '../errors.ts';
import { buildTar } from '../files/tar-archive.ts';
import { BuildLog, type ImageBuildProgress } from './build-log.ts';
import { statusOf } from './docker-client.ts';
import { isInternalAddress } from './internal-addresses.ts';

/** Tag of the default sandbox image, built from the package's Dockerfile. */
export const DEFAULT_SANDBOX_IMAGE = 'metisai/sandbox:latest';

/** Base image the default image is built `FROM` unless the driver names another. */
export const DEFAULT_BASE_IMAGE = 'debian:bookworm-slim';

/** `name` → `name:latest`; digests and explicit tags stay as they are. */
export function normalizeImageName(image: string): string {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`;
}

/** An image given by id (`sha256:…`, or 12 to 64 hex digits) rather than by name. */
const isImageId = (image: string) => /^(sha256:)?[a-f0-9]{12,64}$/i.test(image);

/**
 * The registry host of an image reference (with its port), as Docker reads it: the first path component when it holds
 * a `.` or a `:` or is `localhost`; `undefined` for Docker Hub.
 */
export function registryOf(image: string): string | undefined {
  const slash = image.indexOf('/');
  if (slash < 0) return undefined;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first.toLowerCase() : undefined;
}

/** The host of a registry (`[::1]:5000` → `::1`, `10.0.0.5:5000` → `10.0.0.5`). */
export const registryHost = (registry: string): string => {
  const bracketed = /^\[([^\]]*)\](:\d+)?$/.exec(registry);
  return bracketed ? bracketed[1]! : registry.replace(/:\d+$/, '');
};

/** `localhost`, or an IP literal in a loopback, private, link-local or other internal range. */
export const isInternalRegistry = (registry: string): boolean => {
  const host = registryHost(registry);
  return host === 'localhost' || host.endsWith('.localhost') || isInternalAddress(host);
};

const matchesPattern = (entry: string, image: string): boolean => {
  if (!entry.includes('*')) return normalizeImageName(entry) === normalizeImageName(image);
  const pattern = new RegExp(
    `^${entry
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return pattern.test(normalizeImageName(image)) || pattern.test(image);
};

/**
 * Throws `ImageNotAllowedError` unless `image` may be used. `allowedImages` holds names (`python:3.12-slim`; a missing
 * tag means `latest`) or patterns with `*` (`python:*`, `ghcr.io/acme/*`, `*` for any name); undefined allows any name.
 * Whatever the list:
 * - an image given by id (`sha256:…`) or by digest (`name@sha256:…`) must be listed exactly as given, never through a
 *   pattern;
 * - an image from a registry on `localhost` or an internal IP (loopback, private, link-local, …) must match an entry
 *   that names that registry itself (`localhost:5000/*`), never a bare `*`: the engine would otherwise fetch from the
 *   host's own network for the user.
 */
export function assertImageAllowed(image: string, allowedImages: readonly string[] | undefined): void {
  const entries = allowedImages ?? ['*'];
  if (isImageId(image) || image.includes('@')) {
    if (!entries.some((entry) => entry === image)) throw new ImageNotAllowedError(image, entries, 'an image given by id or digest must be listed exactly');
    return;
  }
  const registry = registryOf(image);
  const candidates = registry && isInternalRegistry(registry) ? entries.filter((entry) => registryOf(entry) === registry) : entries;
  if (!candidates.some((entry) => matchesPattern(entry, image))) {
    const reason = candidates === entries ? undefined : `its registry ${registry} is local or private; an entry must name that registry`;
    throw new ImageNotAllowedError(image, entries, reason);
  }
}

/**
 * Refuses to pull from a registry whose name resolves to an internal address (a name can point anywhere): the engine
 * would fetch from the host's network for the user. Docker Hub and registries an entry of `allowedImages` names
 * explicitly (`registry.local:5000/*`) are not looked up.
 */
export async function assertRegistryReachable(image: string, allowedImages: readonly string[] | undefined): Promise<void> {
  const registry = registryOf(image);
  if (!registry || (allowedImages ?? []).some((entry) => registryOf(entry) === registry)) return;
  const host = registryHost(registry);
  const addresses = await lookup(host, { all: true }).catch(() => []);
  const internal = addresses.find(({ address }) => isInternalAddress(address));
  if (internal) {
    throw new ImageNotAllowedError(image, allowedImages ?? ['*'], `its registry ${registry} resolves to ${internal.address}, an internal address`);
  }
}

/** The package's Dockerfile, found from this module (src/docker/ or a bundled dist/): it sits next to package.json. */
export function packageDockerfilePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    const candidate = join(dir, 'Dockerfile');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new ImageBuildError(DEFAULT_SANDBOX_IMAGE, 'the package Dockerfile was not found next to package.json');
}

export interface BuildImageOptions {
  /** Tag of the built image (default `metisai/sandbox:latest`). */
  tag?: string;
  /** Its `BASE_IMAGE` build argument (default `debian:bookworm-slim`). */
  baseImage?: string;
  /** Path of the Dockerfile (default: the package's); it is the whole build context. */
  dockerfile?: string;
  /** Every line of output, prefixed `[sandbox] `, with the start and the end of the build. */
  onLog?: (line: string) => void;
  /** The step being run and the lines printed so far, each time a line arrives (see `ImageBuildProgress`). */
  onProgress?: (progress: ImageBuildProgress) => void;
  /** Aborts the build: the request is dropped (the engine cancels the build) and `ImageBuildError` is thrown. */
  signal?: AbortSignal;
}

/**
 * Builds a sandbox image (by default the default image from the package's Dockerfile) through the engine API, with
 * the legacy builder (`Step n/m` lines); answers its tag. Throws `ImageBuildError` whose `logTail` holds the end of
 * the build's output.
 */
export async function buildSandboxImage(docker: Docker, options: BuildImageOptions = {}): Promise<string> {
  const tag = options.tag ?? DEFAULT_SANDBOX_IMAGE;
  const baseImage = options.baseImage ?? DEFAULT_BASE_IMAGE;
  const log = options.onLog ?? (() => undefined);
  const output = new BuildLog();
  const failed = (detail: string, cause?: unknown) => new ImageBuildError(tag, detail, cause, output.tail());
  options.signal?.throwIfAborted();
  const dockerfile = readFileSync(options.dockerfile ?? packageDockerfilePath());
  const context = await buildTar([{ name: 'Dockerfile', type: 'file', mode: 0o644, data: dockerfile }], { uid: 0, gid: 0 });
  log(`[sandbox] building image ${tag} from ${baseImage} (first use; this takes a minute)`);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: tag,
      buildargs: { BASE_IMAGE: baseImage },
      rm: true,
      forcerm: true,
      abortSignal: options.signal,
    });
  } catch (err) {
    throw failed(options.signal?.aborted ? 'the build was aborted' : (err as Error).message, err);
  }
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      (stream as NodeJS.ReadableStream & { destroy?: (error?: Error) => void }).destroy?.();
      reject(failed('the build was aborted'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (error?: ImageBuildError) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (output.end()) options.onProgress?.(output.progress);
      if (error) reject(error);
      else resolve();
    };
    docker.modem.followProgress(
      stream,
      (err: Error | null) => settle(err ? failed(err.message, err) : undefined),
      (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.error) {
          settle(failed(`${event.errorDetail?.message ?? event.error} (is the base image ${baseImage} present? scripts/ensure-docker.sh builds it)`));
          return;
        }
        const text = event.stream ?? (event.status ? `${event.status}\n` : '');
        if (!text) return;
        for (const line of text.split('\n')) if (line.trim()) log(`[sandbox] ${line.trimEnd()}`);
        if (output.push(text)) options.onProgress?.(output.progress);
      },
    );
  });
  log(`[sandbox] built image ${tag}`);
  return tag;
}

/** Whether the engine has `image` (by name or id). */
export async function imageExists(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
}

/**
 * Makes sure `image` exists on the engine: when it is missing, `build` makes it (the driver passes one for its
 * default image); otherwise it is pulled (`ImageNotFoundError` when that fails), unless `pull` is false: an image
 * built from a Dockerfile is never pulled (a registry's image of that name is not ours), and its absence is an
 * `ImageNotFoundError` at once.
 */
export async function ensureImage(
  docker: Docker,
  image: string,
  options: { onLog?: (line: string) => void; build?: () => Promise<unknown>; pull?: boolean } = {},
): Promise<void> {
  if (await imageExists(docker, image)) return;
  if (options.build) {
    await options.build();
    return;
  }
  if (options.pull === false) throw new ImageNotFoundError(image, undefined, 'it is built from a Dockerfile and never pulled');
  options.onLog?.(`[sandbox] pulling image ${image}`);
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  } catch (err) {
    throw new ImageNotFoundError(image, err);
  }
}

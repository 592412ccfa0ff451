import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { ImageBuildError, ImageNotAllowedError, ImageNotFoundError } from '../errors.ts';
import { buildTar } from '../files/tar-archive.ts';
import { statusOf } from './docker-client.ts';

/** Tag of the default sandbox image (`METISAI_SANDBOX_IMAGE` overrides it). */
export const defaultSandboxImage = (): string => process.env.METISAI_SANDBOX_IMAGE || 'metisai/sandbox:latest';

/** Base image the default image is built `FROM` (`METISAI_BASE_IMAGE` overrides it). */
export const defaultBaseImage = (): string => process.env.METISAI_BASE_IMAGE || 'debian:bookworm-slim';

/** `name` → `name:latest`; digests and explicit tags stay as they are. */
export function normalizeImageName(image: string): string {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`;
}

/**
 * Allowlist entries are image names (`python:3.12-slim`; a missing tag means `latest`) or
 * patterns with `*` (`python:*`, `ghcr.io/acme/*`).
 */
export function assertImageAllowed(image: string, allowedImages: readonly string[] | undefined): void {
  if (!allowedImages) return;
  const wanted = normalizeImageName(image);
  const matches = allowedImages.some((entry) => {
    if (!entry.includes('*')) return normalizeImageName(entry) === wanted;
    const pattern = new RegExp(
      `^${entry
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return pattern.test(wanted) || pattern.test(image);
  });
  if (!matches) throw new ImageNotAllowedError(image, allowedImages);
}

/** `METISAI_SANDBOX_DOCKERFILE`, else the package's Dockerfile, found from this module (src/docker/ or a bundled dist/). */
export function sandboxDockerfilePath(): string {
  if (process.env.METISAI_SANDBOX_DOCKERFILE) return process.env.METISAI_SANDBOX_DOCKERFILE;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    const candidate = join(dir, 'Dockerfile');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new ImageBuildError(defaultSandboxImage(), 'the package Dockerfile was not found next to package.json');
}

export interface BuildImageOptions {
  tag?: string;
  baseImage?: string;
  onLog?: (line: string) => void;
}

/** Builds the default sandbox image from the package's Dockerfile through the engine API. */
export async function buildSandboxImage(docker: Docker, options: BuildImageOptions = {}): Promise<string> {
  const tag = options.tag ?? defaultSandboxImage();
  const baseImage = options.baseImage ?? defaultBaseImage();
  const log = options.onLog ?? (() => undefined);
  const context = await buildTar([{ name: 'Dockerfile', type: 'file', mode: 0o644, data: readFileSync(sandboxDockerfilePath()) }], { uid: 0, gid: 0 });
  log(`[sandbox] building image ${tag} from ${baseImage} (first use; this takes a minute)`);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: tag, buildargs: { BASE_IMAGE: baseImage }, rm: true, forcerm: true });
  } catch (err) {
    throw new ImageBuildError(tag, (err as Error).message, err);
  }
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(new ImageBuildError(tag, err.message, err)) : resolve()),
      (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.error) {
          reject(
            new ImageBuildError(
              tag,
              `${event.errorDetail?.message ?? event.error} (is the base image ${baseImage} present? scripts/ensure-docker.sh builds it)`,
            ),
          );
          return;
        }
        const line = (event.stream ?? event.status ?? '').trimEnd();
        if (line) log(`[sandbox] ${line}`);
      },
    );
  });
  log(`[sandbox] built image ${tag}`);
  return tag;
}

const builds = new Map<string, Promise<string>>();

/** Makes sure `image` exists: builds the default image when it is missing, otherwise tries a pull. */
export async function ensureImage(docker: Docker, image: string, options: { onLog?: (line: string) => void; canBuild?: boolean } = {}): Promise<void> {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  const log = options.onLog ?? (() => undefined);
  if (options.canBuild !== false && normalizeImageName(image) === normalizeImageName(defaultSandboxImage())) {
    let build = builds.get(image);
    if (!build) {
      build = buildSandboxImage(docker, { tag: image, onLog: log }).finally(() => builds.delete(image));
      builds.set(image, build);
    }
    await build;
    return;
  }
  log(`[sandbox] pulling image ${image}`);
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  } catch (err) {
    throw new ImageNotFoundError(image, err);
  }
}

import type { ImageBuildProgress } from './docker/build-log.ts';
import type { NetworkPolicy, Sandbox, SandboxDriverName, SandboxFiles, SandboxInfo, ShellOptions } from './sandbox.ts';

/** Settings every driver holds, given once when it is built. */
export interface SandboxDriverOptions {
  /**
   * Owner label of the sandboxes this driver creates (a server instance, say); `reap` removes only this
   * owner's sandboxes unless told another. Default `metisai`.
   */
  owner?: string;
  /** Shell timeouts and output limit of every sandbox the driver creates or connects to. */
  shell?: ShellOptions;
  /**
   * Progress and warnings, one line each: image build progress (Docker) and the local driver's warning that it
   * does not isolate. Default: warnings go to `console.warn`, progress nowhere.
   */
  onLog?: (line: string) => void;
}

/** What one sandbox gets when it is created. */
export interface CreateSandboxOptions {
  /**
   * Environment of the shell, never of the container (`docker inspect` does not show it): give secrets here or
   * through `setEnv`. More can be set later with `setEnv`.
   */
  env?: Record<string, string>;
  /** What the sandbox's network may reach (default `egress`; see `NetworkPolicy`). The local driver accepts only `egress`. */
  network?: NetworkPolicy;
  /** Extra labels; `metisai.owner` and `metisai.conversation` are set from the driver's owner and `conversationId`. */
  labels?: Record<string, string>;
  /** The conversation the sandbox belongs to (a label; `list` reports it). */
  conversationId?: string;
  /**
   * Docker: the image of this sandbox instead of the driver's default `image`; it must pass the driver's
   * `allowedImages`. The local driver has no images and ignores it.
   */
  image?: string;
  /**
   * The workspace to keep the sandbox's files in: a name of letters, digits, `_`, `.` and `-` (at most 100). Docker:
   * the volume `metisai-ws-<workspace>` is mounted at `/workspace`, created (and labelled like the containers) when
   * missing, so a sandbox created again with the same name finds the files of the one before; a new volume starts with
   * the image's `/workspace` content. Default: a new workspace named after the sandbox. The local driver keeps each
   * sandbox's files in its own directory and ignores it.
   */
  workspace?: string;
}

/** What `attachFiles` answers: file access to an existing sandbox, without a shell. */
export interface AttachedFiles {
  id: string;
  workdir: string;
  workspace: string;
  files: SandboxFiles;
}

export interface ConnectSandboxOptions {
  /** Moves the sandbox to this network policy before it starts (a stopped one included); absent: as it was. */
  network?: NetworkPolicy;
}

export interface SandboxListFilter {
  /** Only this owner's sandboxes; every MetisAI sandbox the driver can see when omitted. */
  owner?: string;
}

export interface ReapOptions {
  /** Only this owner's sandboxes are considered (default: the driver's `owner`). */
  owner?: string;
  /** Sandboxes still in use: ids, or a predicate over the listed info. Every other sandbox of the owner is removed. */
  keep: Iterable<string> | ((info: SandboxInfo) => boolean);
}

/**
 * The image a driver builds from a Dockerfile instead of pulling it (Docker: its default image, when that is
 * `metisai/sandbox:latest` or a `dockerfile` is given), for a caller that builds it ahead of `create`: a server does
 * it once across its replicas, in the background, and shows the progress.
 */
export interface SandboxImageBuild {
  /** The image (`metisai/sandbox:latest`; a name without a tag gets `:latest`). */
  readonly image: string;
  /** Whether `image`, as a request names it (a missing tag means `latest`), is this image. */
  matches(image: string): boolean;
  /** Whether the engine has it. Throws `DockerUnavailableError` when no engine answers. */
  exists(): Promise<boolean>;
  /**
   * Builds it now from the driver's Dockerfile and base image; every call builds (the engine caches the layers), so
   * callers coordinate. `onProgress` gets the step and the line count as output arrives; `signal` aborts the build.
   * Throws `ImageBuildError`, whose `logTail` holds the end of the output.
   */
  build(options?: { onProgress?: (progress: ImageBuildProgress) => void; signal?: AbortSignal }): Promise<void>;
}

/**
 * Where sandboxes come from: one object per process, built once from its settings with `dockerDriver`,
 * `localDriver` or `createSandboxDriver`. Callers never need to know which driver they hold; `name` says it.
 */
export interface SandboxDriver {
  readonly name: SandboxDriverName;
  /** Owner label of the sandboxes `create` makes. */
  readonly owner: string;
  /** The image this driver builds rather than pulls, or null: the local driver has no images. */
  readonly imageBuild: SandboxImageBuild | null;
  /** Creates and starts a sandbox, and resolves when its shell is ready. */
  create(options?: CreateSandboxOptions): Promise<Sandbox>;
  /**
   * Whether `id` has the form of this driver's sandbox ids (Docker: `metisai-<12 hex>`, local: `local-<12 hex>`): an id
   * stored by a server that ran the other driver is not this driver's to connect to, replace or reap.
   */
  isOwnId(id: string): boolean;
  /**
   * Reattaches to an existing sandbox (after a server restart): starts it when it was stopped and opens a new
   * shell in the last known working directory with the exported environment restored; background jobs of the
   * previous shell are ended and the next observation says so. Throws `SandboxNotFoundError` when there is no
   * such sandbox.
   */
  connect(id: string, options?: ConnectSandboxOptions): Promise<Sandbox>;
  /** Sandboxes in every state (running, stopped, …), optionally only one owner's. */
  list(filter?: SandboxListFilter): Promise<SandboxInfo[]>;
  /** Removes the owner's sandboxes that are not kept (orphans of a crashed or restarted server); answers their ids. */
  reap(options: ReapOptions): Promise<string[]>;
  /**
   * Removes a sandbox by id, with its files, without starting it or opening a shell (a stopped sandbox stays
   * stopped until it is gone). Resolves when it is gone, also when there was nothing to remove; anything that is
   * not one of this driver's sandboxes is left alone.
   */
  remove(id: string): Promise<void>;
  /**
   * File access to an existing sandbox without starting it or opening a shell: for a process that does not own the
   * sandbox (another server process runs it). Listings, moves and removals need it running (Docker runs them as short
   * `exec`s). Throws `SandboxNotFoundError` when there is no such sandbox.
   */
  attachFiles(id: string): Promise<AttachedFiles>;
  /**
   * Deletes a workspace no sandbox uses any more (Docker: its volume; a volume still mounted by a container is left
   * alone). `remove(id)` already deletes the workspace of the sandbox it removes: this is for a workspace whose sandbox
   * is gone. Resolves also when there is nothing to delete; the local driver has nothing to do.
   */
  removeWorkspace(workspace: string): Promise<void>;
}

/** `reap` as both drivers do it: list the owner's sandboxes and remove those not kept. */
export async function reapWith(driver: SandboxDriver, options: ReapOptions): Promise<string[]> {
  const keep =
    typeof options.keep === 'function'
      ? options.keep
      : (
          (ids: Set<string>) => (info: SandboxInfo) =>
            ids.has(info.id)
        )(new Set(options.keep));
  const removed: string[] = [];
  for (const info of await driver.list({ owner: options.owner ?? driver.owner })) {
    if (keep(info)) continue;
    await driver.remove(info.id);
    removed.push(info.id);
  }
  return removed;
}

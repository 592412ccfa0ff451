import type Docker from 'dockerode';
import { InvalidArgumentError, SandboxNotFoundError } from '../errors.ts';
import { DEFAULT_OWNER, type Sandbox, type SandboxInfo } from '../sandbox.ts';
import {
  type AttachedFiles,
  type ConnectSandboxOptions,
  type CreateSandboxOptions,
  reapWith,
  type SandboxDriver,
  type SandboxDriverOptions,
  type SandboxImageBuild,
  type SandboxListFilter,
} from '../sandbox-driver.ts';
import type { ImageBuildProgress } from './build-log.ts';
import { DEFAULT_LIMITS, type SandboxLimits } from './container-config.ts';
import { DOCKER_WORKDIR, infoFromLabels, toState } from './container-info.ts';
import { assertDockerAvailable, createDockerClient, type DockerEngineOptions, statusOf } from './docker-client.ts';
import { DockerFiles } from './docker-files.ts';
import { DockerSandbox, removeVolume } from './docker-sandbox.ts';
import { SANDBOX_LABELS, WORKSPACE_NAME } from './sandbox-labels.ts';
import { SANDBOX_UID } from './prepare-container.ts';
import {
  assertImageAllowed,
  assertRegistryReachable,
  buildSandboxImage,
  DEFAULT_BASE_IMAGE,
  DEFAULT_SANDBOX_IMAGE,
  ensureImage,
  imageExists,
  normalizeImageName,
} from './sandbox-image.ts';
import { SandboxNetwork, type SandboxNetworkOptions } from './sandbox-network.ts';

/** Docker's rule for container names (ids are names); anything else could reach another Engine API path. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** The ids `create` gives its containers (`metisai-<12 hex>`). */
const DOCKER_ID_PATTERN = /^metisai-[0-9a-f]{12}$/;

export interface DockerDriverOptions extends SandboxDriverOptions {
  /** A dockerode client; default: one for `engine`. */
  docker?: Docker;
  /**
   * The engine to use when no `docker` client is given: its address and TLS (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`,
   * `DOCKER_CERT_PATH` as the Docker CLI reads them). Default: dockerode's (those variables, else the local socket).
   */
  engine?: DockerEngineOptions;
  /** Image of sandboxes whose `create` names none: any image with bash (default `metisai/sandbox:latest`). */
  image?: string;
  /**
   * Only these images may be used (names, a missing tag meaning `latest`, or patterns with `*`); default: any name.
   * Images given by id or digest must be listed exactly, and a registry on `localhost` or an internal address must be
   * named by an entry itself (see `assertImageAllowed`).
   */
  allowedImages?: readonly string[];
  /**
   * Build `image` from `dockerfile` on the first `create` that needs it, when the engine lacks it (once per driver;
   * concurrent creates wait for the same build). Default: true when `image` is `metisai/sandbox:latest` or a
   * `dockerfile` is given. Such an image is never pulled: with `false`, its absence fails `create` with
   * `ImageNotFoundError` (build it first, e.g. through `imageBuild`). Any other missing image is pulled.
   */
  buildDefaultImage?: boolean;
  /** `BASE_IMAGE` build argument of that build (default `debian:bookworm-slim`). */
  baseImage?: string;
  /** Dockerfile of that build (default: the package's `Dockerfile`, which installs bash, git, python3, node, …). */
  dockerfile?: string;
  /** Memory, CPU and process limits of every sandbox (default 2 GiB without swap, 1 CPU, 512 processes). */
  limits?: SandboxLimits;
  /**
   * The network of `egress` sandboxes (`name`, default `metisai-sandboxes`: created when missing, inter-container
   * traffic off) and whether its host rules must be in place (`firewall`, default `required`). See docs/sandbox.md.
   */
  network?: SandboxNetworkOptions;
  /** Run as root with the capabilities package installs need (see docs/sandbox.md). Default: uid 1000. */
  runAsRoot?: boolean;
}

/**
 * The Docker driver: a container per sandbox, driven through the Engine API (dockerode). Nothing is checked
 * until the first call: an engine that does not answer makes that call throw `DockerUnavailableError`. The first
 * `egress` sandbox creates the sandbox network and installs its host rules (`SandboxNetworkError` when that fails and
 * the firewall is required).
 */
export function dockerDriver(options: DockerDriverOptions = {}): SandboxDriver {
  const docker = options.docker ?? createDockerClient(options.engine);
  const owner = options.owner ?? DEFAULT_OWNER;
  const defaultImage = options.image ?? DEFAULT_SANDBOX_IMAGE;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  // The package's image, or one with a Dockerfile of yours: built, never pulled (a registry's image of that name is not ours).
  const ownImage = normalizeImageName(defaultImage) === DEFAULT_SANDBOX_IMAGE || options.dockerfile !== undefined;
  const canBuild = options.buildDefaultImage ?? ownImage;
  const build = (progress: { onProgress?: (progress: ImageBuildProgress) => void; signal?: AbortSignal } = {}) =>
    buildSandboxImage(docker, {
      tag: defaultImage,
      baseImage: options.baseImage ?? DEFAULT_BASE_IMAGE,
      dockerfile: options.dockerfile,
      onLog: options.onLog,
      ...progress,
    });
  let building: Promise<string> | null = null;
  const buildDefault = () => {
    building ??= build().finally(() => {
      building = null;
    });
    return building;
  };
  const imageBuild: SandboxImageBuild | null = ownImage
    ? {
        image: normalizeImageName(defaultImage),
        matches: (image) => normalizeImageName(image) === normalizeImageName(defaultImage),
        async exists() {
          await assertDockerAvailable(docker, options.engine);
          return imageExists(docker, defaultImage);
        },
        async build(progress) {
          await assertDockerAvailable(docker, options.engine);
          await build(progress);
        },
      }
    : null;
  // The default image also installs the sandbox network's host rules.
  const ensureDefaultImage = async () => {
    await ensureImage(docker, defaultImage, { onLog: options.onLog, build: canBuild ? buildDefault : undefined, pull: !ownImage });
    return defaultImage;
  };
  const sandboxNetwork = new SandboxNetwork(docker, {
    ...options.network,
    helperImage: ensureDefaultImage,
    onLog: (line) => options.onLog?.(line),
    onWarning: options.onLog ?? ((line) => console.warn(line)),
  });

  const driver: SandboxDriver = {
    name: 'docker',
    isOwnId: (id) => DOCKER_ID_PATTERN.test(id),
    owner,
    imageBuild,

    async create(create: CreateSandboxOptions = {}): Promise<Sandbox> {
      const image = create.image ?? defaultImage;
      const network = create.network ?? 'egress';
      if (network !== 'egress' && network !== 'none') throw new InvalidArgumentError(`Unknown network policy "${String(network)}" (egress or none)`);
      assertImageAllowed(image, options.allowedImages);
      if (create.workspace !== undefined && !WORKSPACE_NAME.test(create.workspace)) {
        throw new InvalidArgumentError(
          `Invalid workspace name "${create.workspace}": letters, digits, _, . and - (at most 100), starting with a letter or digit`,
        );
      }
      await assertDockerAvailable(docker, options.engine);
      const isDefault = normalizeImageName(image) === normalizeImageName(defaultImage);
      if (!isDefault) await assertRegistryReachable(image, options.allowedImages);
      await ensureImage(docker, image, { onLog: options.onLog, build: canBuild && isDefault ? buildDefault : undefined, pull: !(isDefault && ownImage) });
      if (network === 'egress') await sandboxNetwork.ready();
      return DockerSandbox.create({
        docker,
        image,
        owner,
        env: create.env,
        labels: create.labels,
        conversationId: create.conversationId,
        workspace: create.workspace,
        limits,
        network,
        sandboxNetwork,
        runAsRoot: options.runAsRoot ?? false,
        shell: options.shell,
      });
    },

    async connect(id: string, connect: ConnectSandboxOptions = {}): Promise<Sandbox> {
      if (!CONTAINER_NAME.test(id)) throw new SandboxNotFoundError(id);
      await assertDockerAvailable(docker, options.engine);
      return DockerSandbox.connect(id, { docker, shell: options.shell, network: connect.network, sandboxNetwork });
    },

    async list(filter: SandboxListFilter = {}): Promise<SandboxInfo[]> {
      await assertDockerAvailable(docker, options.engine);
      const label = [`${SANDBOX_LABELS.managed}=true`];
      if (filter.owner) label.push(`${SANDBOX_LABELS.owner}=${filter.owner}`);
      const containers = await docker.listContainers({ all: true, filters: { label } });
      return containers.map((c) =>
        infoFromLabels((c.Names[0] ?? c.Id).replace(/^\//, ''), c.Labels ?? {}, {
          state: toState(c.State),
          image: c.Image,
          createdAt: new Date(c.Created * 1000),
        }),
      );
    },

    reap: (reap) => reapWith(driver, reap),

    async remove(id: string): Promise<void> {
      if (!CONTAINER_NAME.test(id)) return;
      await assertDockerAvailable(docker, options.engine);
      const container = docker.getContainer(id);
      let labels: Record<string, string>;
      try {
        labels = (await container.inspect()).Config.Labels ?? {};
      } catch (err) {
        if (statusOf(err) === 404) return;
        throw err;
      }
      if (labels[SANDBOX_LABELS.managed] !== 'true') return;
      // A forced removal of a stopped container does not start it; a running one is killed first.
      await container.remove({ force: true, v: true }).catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
      await removeVolume(docker, labels[SANDBOX_LABELS.workspace] ?? id);
    },

    async attachFiles(id: string): Promise<AttachedFiles> {
      if (!CONTAINER_NAME.test(id)) throw new SandboxNotFoundError(id);
      await assertDockerAvailable(docker, options.engine);
      const container = docker.getContainer(id);
      let labels: Record<string, string>;
      try {
        labels = (await container.inspect()).Config.Labels ?? {};
      } catch (err) {
        if (statusOf(err) === 404) throw new SandboxNotFoundError(id, err);
        throw err;
      }
      if (labels[SANDBOX_LABELS.managed] !== 'true') throw new SandboxNotFoundError(id);
      const user = labels[SANDBOX_LABELS.user] ?? `${SANDBOX_UID}:${SANDBOX_UID}`;
      const uid = Number(user.split(':')[0]);
      return {
        id,
        workdir: labels[SANDBOX_LABELS.workdir] ?? DOCKER_WORKDIR,
        workspace: labels[SANDBOX_LABELS.workspace] ?? id,
        files: new DockerFiles(container, { user, owner: { uid, gid: uid } }),
      };
    },

    async removeWorkspace(workspace: string): Promise<void> {
      if (!WORKSPACE_NAME.test(workspace)) return;
      await assertDockerAvailable(docker, options.engine);
      await removeVolume(docker, workspace);
    },
  };
  return driver;
}

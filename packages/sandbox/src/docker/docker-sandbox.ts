import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { createEditor } from '../editor/index.ts';
import { ImageWithoutBashError, InvalidArgumentError, SandboxNotFoundError, SandboxNotRunningError } from '../errors.ts';
import {
  DEFAULT_OWNER,
  type Editor,
  type ReapOptions,
  type Sandbox,
  type SandboxCommonOptions,
  type SandboxInfo,
  type SandboxState,
  type ShellOptions,
} from '../sandbox.ts';
import { BashSession, type ExitExplanationInput } from '../shell/bash-session.ts';
import { containerConfig, DEFAULT_LIMITS, sandboxUser, type SandboxLimits } from './container-config.ts';
import { assertDockerAvailable, createDockerClient, statusOf } from './docker-client.ts';
import { DockerFiles } from './docker-files.ts';
import { openDockerShell } from './docker-shell-transport.ts';
import { execCommand } from './exec-command.ts';
import { prepareContainer, SANDBOX_UID } from './prepare-container.ts';
import { SANDBOX_LABELS } from './sandbox-labels.ts';
import { assertImageAllowed, defaultSandboxImage, ensureImage } from './sandbox-image.ts';

export const DOCKER_WORKDIR = '/workspace';
/** Where the shell saves the full output of a cut observation (outside the workdir). */
const DOCKER_FULL_OUTPUT_DIR = '/tmp/metisai-output';

export interface DockerSandboxOptions extends SandboxCommonOptions {
  /** A dockerode client; default: `DOCKER_HOST` or the local socket. */
  docker?: Docker;
  /** Any image with bash (default `metisai/sandbox:latest`, built on first use when missing). */
  image?: string;
  /** Only these images may be used (names, or patterns with `*`). */
  allowedImages?: readonly string[];
  limits?: SandboxLimits;
  /** `bridge` (default), `none`, or the name of a user-defined network. */
  network?: string;
  /** Run as root with the capabilities package installs need (see docs/sandbox.md). Default: uid 1000. */
  runAsRoot?: boolean;
  /** Build the default image when it is missing (default true). */
  buildDefaultImage?: boolean;
}

export interface DockerConnectOptions {
  docker?: Docker;
  shell?: ShellOptions;
  onLog?: (line: string) => void;
}

export interface DockerListOptions {
  docker?: Docker;
  /** Only sandboxes of this owner; all MetisAI sandboxes when omitted. */
  owner?: string;
}

export interface DockerReapOptions extends ReapOptions {
  docker?: Docker;
}

const SANDBOX_STATES: readonly string[] = ['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'removing'];
const toState = (state: string | undefined): SandboxState => (SANDBOX_STATES.includes(state ?? '') ? (state as SandboxState) : 'dead');

function ownerLabels(options: SandboxCommonOptions): Record<string, string> {
  const labels: Record<string, string> = { ...options.labels, [SANDBOX_LABELS.owner]: options.owner ?? DEFAULT_OWNER };
  if (options.conversationId) labels[SANDBOX_LABELS.conversation] = options.conversationId;
  return labels;
}

function infoFromLabels(id: string, labels: Record<string, string>, rest: { state: SandboxState; image: string | null; createdAt: Date }): SandboxInfo {
  return {
    id,
    driver: 'docker',
    state: rest.state,
    image: rest.image,
    owner: labels[SANDBOX_LABELS.owner] ?? null,
    conversationId: labels[SANDBOX_LABELS.conversation] ?? null,
    labels,
    createdAt: rest.createdAt,
    workdir: labels[SANDBOX_LABELS.workdir] ?? DOCKER_WORKDIR,
  };
}

const mebibytes = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;
const FORK_FAILURE = /fork: (retry: )?(Resource temporarily unavailable|Cannot allocate memory)|Cannot fork/;

interface DockerSandboxInit {
  id: string;
  docker: Docker;
  container: Docker.Container;
  workdir: string;
  asRoot: boolean;
  memoryBytes: number;
  pidsLimit: number;
  env: Record<string, string>;
  shellOptions: ShellOptions | undefined;
}

/**
 * A sandbox in a Docker container (dockerode). Create with `DockerSandbox.create()`, come back
 * after a server restart with `DockerSandbox.connect(id)`.
 */
export class DockerSandbox implements Sandbox {
  readonly driver = 'docker' as const;
  readonly id: string;
  readonly workdir: string;
  readonly shell: BashSession;
  readonly files: DockerFiles;
  readonly editor: Editor;
  private readonly docker: Docker;
  private readonly container: Docker.Container;
  private readonly memoryBytes: number;
  private readonly pidsLimit: number;
  private readonly user: string;
  private oomKills: number | null;

  private constructor(init: DockerSandboxInit, oomKills: number | null) {
    this.id = init.id;
    this.docker = init.docker;
    this.container = init.container;
    this.workdir = init.workdir;
    this.memoryBytes = init.memoryBytes;
    this.pidsLimit = init.pidsLimit;
    this.oomKills = oomKills;
    this.user = sandboxUser(init.asRoot);
    const owner = init.asRoot ? 0 : SANDBOX_UID;
    this.files = new DockerFiles(init.container, { user: this.user, owner: { uid: owner, gid: owner } });
    this.editor = createEditor(this.files, { workdir: init.workdir });
    this.shell = new BashSession({
      ...init.shellOptions,
      workdir: init.workdir,
      env: init.env,
      open: openDockerShell(init.container, { user: this.user, workdir: init.workdir }),
      beforeStart: () => this.assertRunning(),
      explain: (input) => this.explain(input),
      fullOutput: { dir: DOCKER_FULL_OUTPUT_DIR, files: this.files },
    });
  }

  /** Creates and starts a sandbox, with its shell ready. */
  static async create(options: DockerSandboxOptions = {}): Promise<DockerSandbox> {
    const docker = options.docker ?? createDockerClient();
    const image = options.image ?? defaultSandboxImage();
    assertImageAllowed(image, options.allowedImages);
    const network = options.network ?? 'bridge';
    if (network === 'host') throw new InvalidArgumentError('Network mode "host" is not allowed for sandboxes');
    await assertDockerAvailable(docker);
    await ensureImage(docker, image, { onLog: options.onLog, canBuild: options.buildDefaultImage });

    const id = `metisai-${randomBytes(6).toString('hex')}`;
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const asRoot = options.runAsRoot ?? false;
    const env = options.env ?? {};
    const container = await docker.createContainer(
      containerConfig({ id, image, workdir: DOCKER_WORKDIR, env, labels: ownerLabels(options), limits, network, asRoot }),
    );
    try {
      await prepareContainer(container, { workdir: DOCKER_WORKDIR, asRoot });
      try {
        await container.start();
      } catch (err) {
        if (/executable file not found|"bash": .*no such file or directory/i.test((err as Error).message)) throw new ImageWithoutBashError(image, err);
        throw err;
      }
      const init = {
        id,
        docker,
        container,
        workdir: DOCKER_WORKDIR,
        asRoot,
        memoryBytes: limits.memoryBytes,
        pidsLimit: limits.pids,
        env,
        shellOptions: options.shell,
      };
      const sandbox = new DockerSandbox(init, 0);
      await sandbox.shell.start();
      return sandbox;
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Reattaches to an existing sandbox (after a server restart): starts it if it was stopped and
   * opens a new shell in the last known working directory with the exported environment.
   * Background jobs of the previous shell are ended, and the next observation says so.
   */
  static async connect(id: string, options: DockerConnectOptions = {}): Promise<DockerSandbox> {
    const docker = options.docker ?? createDockerClient();
    await assertDockerAvailable(docker);
    const container = docker.getContainer(id);
    let details: Docker.ContainerInspectInfo;
    try {
      details = await container.inspect();
    } catch (err) {
      if (statusOf(err) === 404) throw new SandboxNotFoundError(id, err);
      throw err;
    }
    const labels = details.Config.Labels ?? {};
    if (labels[SANDBOX_LABELS.managed] !== 'true') throw new SandboxNotFoundError(id);
    if (details.State.Paused) await container.unpause();
    else if (!details.State.Running) await container.start();
    const init = {
      id: details.Name.replace(/^\//, ''),
      docker,
      container,
      workdir: labels[SANDBOX_LABELS.workdir] ?? DOCKER_WORKDIR,
      asRoot: labels[SANDBOX_LABELS.user] === '0:0',
      memoryBytes: details.HostConfig.Memory || DEFAULT_LIMITS.memoryBytes,
      pidsLimit: details.HostConfig.PidsLimit || DEFAULT_LIMITS.pids,
      env: {},
      shellOptions: options.shell,
    };
    const sandbox = new DockerSandbox(init, null);
    await sandbox.shell.start();
    return sandbox;
  }

  /** Sandboxes on the engine (all states), optionally only one owner's. */
  static async list(options: DockerListOptions = {}): Promise<SandboxInfo[]> {
    const docker = options.docker ?? createDockerClient();
    await assertDockerAvailable(docker);
    const label = [`${SANDBOX_LABELS.managed}=true`];
    if (options.owner) label.push(`${SANDBOX_LABELS.owner}=${options.owner}`);
    const containers = await docker.listContainers({ all: true, filters: { label } });
    return containers.map((c) =>
      infoFromLabels((c.Names[0] ?? c.Id).replace(/^\//, ''), c.Labels ?? {}, {
        state: toState(c.State),
        image: c.Image,
        createdAt: new Date(c.Created * 1000),
      }),
    );
  }

  /** Removes the owner's sandboxes that are not kept (orphans of a crashed or restarted server). Returns the removed ids. */
  static async reap(options: DockerReapOptions): Promise<string[]> {
    const docker = options.docker ?? createDockerClient();
    const keep =
      typeof options.keep === 'function'
        ? options.keep
        : (
            (ids: Set<string>) => (info: SandboxInfo) =>
              ids.has(info.id)
          )(new Set(options.keep));
    const removed: string[] = [];
    for (const info of await DockerSandbox.list({ docker, owner: options.owner })) {
      if (keep(info)) continue;
      await docker
        .getContainer(info.id)
        .remove({ force: true, v: true })
        .then(
          () => removed.push(info.id),
          (err: unknown) => {
            if (statusOf(err) !== 404) throw err;
          },
        );
    }
    return removed;
  }

  setEnv(vars: Record<string, string>): Promise<void> {
    return this.shell.setEnv(vars);
  }

  async info(): Promise<SandboxInfo> {
    const details = await this.inspect();
    return infoFromLabels(this.id, details.Config.Labels ?? {}, {
      state: toState(details.State.Status),
      image: details.Config.Image,
      createdAt: new Date(details.Created),
    });
  }

  async disconnect(): Promise<void> {
    await this.shell.close();
  }

  async stop(): Promise<void> {
    await this.shell.close();
    await this.container.stop({ t: 5 }).catch((err: unknown) => {
      if (statusOf(err) !== 304 && statusOf(err) !== 404) throw err;
    });
  }

  async remove(): Promise<void> {
    await this.shell.close();
    await this.container.remove({ force: true, v: true }).catch((err: unknown) => {
      if (statusOf(err) !== 404) throw err;
    });
  }

  private async inspect(): Promise<Docker.ContainerInspectInfo> {
    try {
      return await this.container.inspect();
    } catch (err) {
      if (statusOf(err) === 404) throw new SandboxNotFoundError(this.id, err);
      throw err;
    }
  }

  private async assertRunning(): Promise<void> {
    const { State: state } = await this.inspect();
    if (state.Running && !state.Paused) return;
    const why = state.OOMKilled
      ? `it was killed by the out-of-memory killer (limit ${mebibytes(this.memoryBytes)})`
      : `its state is "${state.Status}" (exit code ${state.ExitCode})`;
    throw new SandboxNotRunningError(this.id, why);
  }

  /** Out-of-memory kills since the sandbox was created, from the container's own cgroup. */
  private async readOomKills(): Promise<number | null> {
    const script = 'cat /sys/fs/cgroup/memory.events 2>/dev/null || cat /sys/fs/cgroup/memory/memory.oom_control';
    try {
      const result = await execCommand(this.container, ['bash', '-c', script], { user: this.user });
      const match = /oom_kill (\d+)/.exec(result.stdout.toString('utf8'));
      return match ? Number(match[1]) : null;
    } catch {
      return null;
    }
  }

  private async explain({ exitCode, output, status }: ExitExplanationInput): Promise<string | undefined> {
    const notes: string[] = [];
    if (exitCode === 137 || status === 'shell_restarted') {
      const kills = await this.readOomKills();
      const before = this.oomKills;
      let isOom = false;
      if (kills !== null) {
        isOom = kills > (before ?? 0);
        this.oomKills = kills;
      } else {
        isOom = (await this.inspect()).State.OOMKilled;
      }
      if (isOom) notes.push(`[The process was killed by the out-of-memory killer: the sandbox memory limit is ${mebibytes(this.memoryBytes)}.]`);
    }
    if (FORK_FAILURE.test(output)) {
      notes.push(
        `[The sandbox reached its process limit (${this.pidsLimit} processes and threads): new processes cannot start until others exit. ` +
          '`kill -9 -1` (a shell builtin) ends every process of the sandbox user except this shell.]',
      );
    }
    return notes.length > 0 ? notes.join('\n') : undefined;
  }
}

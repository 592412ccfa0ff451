import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { createEditor } from '../editor/index.ts';
import { ImageWithoutBashError, SandboxNotFoundError, SandboxNotRunningError } from '../errors.ts';
import type { Editor, NetworkPolicy, Sandbox, SandboxInfo, ShellOptions } from '../sandbox.ts';
import type { CreateSandboxOptions } from '../sandbox-driver.ts';
import { BashSession, type ExitExplanationInput } from '../shell/bash-session.ts';
import { containerConfig, DEFAULT_LIMITS, sandboxUser, type SandboxLimits } from './container-config.ts';
import { DOCKER_WORKDIR, infoFromLabels, toState } from './container-info.ts';
import { statusOf } from './docker-client.ts';
import { DockerFiles } from './docker-files.ts';
import { openDockerShell } from './docker-shell-transport.ts';
import { execCommand } from './exec-command.ts';
import { HelperProcess } from './helper-process.ts';
import { prepareContainer, SANDBOX_UID } from './prepare-container.ts';
import { SANDBOX_LABELS, workspaceVolume } from './sandbox-labels.ts';
import type { SandboxNetwork } from './sandbox-network.ts';

/** Where the shell saves the full output of a cut observation (outside the workdir). */
const DOCKER_FULL_OUTPUT_DIR = '/tmp/metisai-output';

/** What `DockerSandbox.create` needs, resolved by the driver (image present and allowed, engine answering). */
export interface DockerCreateSettings extends Pick<CreateSandboxOptions, 'env' | 'labels' | 'conversationId' | 'workspace'> {
  docker: Docker;
  image: string;
  owner: string;
  limits: Required<SandboxLimits>;
  network: NetworkPolicy;
  /** Our network of `egress` sandboxes (ready, when `network` is `egress`). */
  sandboxNetwork: SandboxNetwork;
  runAsRoot: boolean;
  shell: ShellOptions | undefined;
}

function ownerLabels(settings: DockerCreateSettings): Record<string, string> {
  const labels: Record<string, string> = { ...settings.labels, [SANDBOX_LABELS.owner]: settings.owner };
  if (settings.conversationId) labels[SANDBOX_LABELS.conversation] = settings.conversationId;
  return labels;
}

const mebibytes = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;
const FORK_FAILURE = /fork: (retry: )?(Resource temporarily unavailable|Cannot allocate memory)|Cannot fork/;

interface DockerSandboxInit {
  id: string;
  workspace: string;
  docker: Docker;
  container: Docker.Container;
  workdir: string;
  asRoot: boolean;
  memoryBytes: number;
  pidsLimit: number;
  env: Record<string, string>;
  shellOptions: ShellOptions | undefined;
  network: NetworkPolicy;
  sandboxNetwork: SandboxNetwork;
}

/**
 * A sandbox in a Docker container (dockerode). Made by the Docker driver (`dockerDriver().create()`), reached
 * again after a server restart with its `connect(id)`.
 */
export class DockerSandbox implements Sandbox {
  readonly driver = 'docker' as const;
  readonly id: string;
  readonly workdir: string;
  readonly workspace: string;
  readonly shell: BashSession;
  readonly files: DockerFiles;
  readonly editor: Editor;
  private readonly docker: Docker;
  private readonly container: Docker.Container;
  private readonly memoryBytes: number;
  private readonly pidsLimit: number;
  private readonly user: string;
  private readonly helper: HelperProcess;
  private readonly sandboxNetwork: SandboxNetwork;
  private oomKills: number | null;
  #network: NetworkPolicy;

  private constructor(init: DockerSandboxInit, oomKills: number | null) {
    this.id = init.id;
    this.workspace = init.workspace;
    this.docker = init.docker;
    this.container = init.container;
    this.workdir = init.workdir;
    this.memoryBytes = init.memoryBytes;
    this.pidsLimit = init.pidsLimit;
    this.oomKills = oomKills;
    this.sandboxNetwork = init.sandboxNetwork;
    this.#network = init.network;
    this.user = sandboxUser(init.asRoot);
    const owner = init.asRoot ? 0 : SANDBOX_UID;
    this.helper = new HelperProcess(init.container, this.user);
    this.files = new DockerFiles(init.container, { user: this.user, owner: { uid: owner, gid: owner }, helper: this.helper });
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

  /**
   * Creates and starts a container, with its shell ready, on its workspace volume (created when missing); a failure
   * removes what was made (the volume only when this call created it).
   */
  static async create(settings: DockerCreateSettings): Promise<DockerSandbox> {
    const { docker, image, limits, network, sandboxNetwork } = settings;
    const id = `metisai-${randomBytes(6).toString('hex')}`;
    const asRoot = settings.runAsRoot;
    const env = settings.env ?? {};
    const workspace = settings.workspace ?? id;
    const labels = ownerLabels(settings);
    const isNewVolume = await ensureVolume(docker, workspace, labels);
    let container: Docker.Container;
    try {
      container = await docker.createContainer(
        containerConfig({ id, image, workdir: DOCKER_WORKDIR, labels, limits, network: sandboxNetwork.networkFor(network), asRoot, workspace }),
      );
    } catch (err) {
      if (isNewVolume) await removeVolume(docker, workspace);
      throw err;
    }
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
        workspace,
        docker,
        container,
        workdir: DOCKER_WORKDIR,
        asRoot,
        memoryBytes: limits.memoryBytes,
        pidsLimit: limits.pids,
        env,
        shellOptions: settings.shell,
        network,
        sandboxNetwork,
      };
      const sandbox = new DockerSandbox(init, 0);
      await sandbox.shell.start();
      return sandbox;
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      if (isNewVolume) await removeVolume(docker, workspace);
      throw err;
    }
  }

  /**
   * Reattaches to an existing sandbox (after a server restart): moves it to `network` when given (before it starts),
   * starts it if it was stopped and opens a new shell in the last known working directory with the exported
   * environment. Background jobs of the previous shell are ended, and the next observation says so.
   */
  static async connect(
    name: string,
    options: { docker: Docker; shell: ShellOptions | undefined; network: NetworkPolicy | undefined; sandboxNetwork: SandboxNetwork },
  ): Promise<DockerSandbox> {
    const { docker, sandboxNetwork } = options;
    const container = docker.getContainer(name);
    let details: Docker.ContainerInspectInfo;
    try {
      details = await container.inspect();
    } catch (err) {
      if (statusOf(err) === 404) throw new SandboxNotFoundError(name, err);
      throw err;
    }
    const labels = details.Config.Labels ?? {};
    if (labels[SANDBOX_LABELS.managed] !== 'true') throw new SandboxNotFoundError(name);
    if (options.network) await sandboxNetwork.apply(container, details, options.network);
    if (details.State.Paused) await container.unpause();
    else if (!details.State.Running) await container.start();
    const id = details.Name.replace(/^\//, '');
    const init = {
      id,
      workspace: labels[SANDBOX_LABELS.workspace] ?? id,
      docker,
      container,
      workdir: labels[SANDBOX_LABELS.workdir] ?? DOCKER_WORKDIR,
      asRoot: labels[SANDBOX_LABELS.user] === '0:0',
      memoryBytes: details.HostConfig.Memory || DEFAULT_LIMITS.memoryBytes,
      pidsLimit: details.HostConfig.PidsLimit || DEFAULT_LIMITS.pids,
      env: {},
      shellOptions: options.shell,
      network: options.network ?? sandboxNetwork.policyOf(details),
      sandboxNetwork,
    };
    const sandbox = new DockerSandbox(init, null);
    await sandbox.shell.start();
    return sandbox;
  }

  get network(): NetworkPolicy {
    return this.#network;
  }

  setEnv(vars: Record<string, string>): Promise<void> {
    return this.shell.setEnv(vars);
  }

  async setNetwork(policy: NetworkPolicy): Promise<void> {
    if (policy === this.#network) return;
    await this.sandboxNetwork.apply(this.container, await this.inspect(), policy);
    this.#network = policy;
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
    this.helper.close();
    await this.shell.close();
  }

  async stop(): Promise<void> {
    this.helper.close();
    await this.shell.close();
    await this.container.stop({ t: 5 }).catch((err: unknown) => {
      if (statusOf(err) !== 304 && statusOf(err) !== 404) throw err;
    });
  }

  async remove(): Promise<void> {
    this.helper.close();
    await this.shell.close();
    await this.container.remove({ force: true, v: true }).catch((err: unknown) => {
      if (statusOf(err) !== 404) throw err;
    });
    await removeVolume(this.docker, this.workspace);
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

/** Creates the workspace's volume, labelled like the container, unless it exists; answers whether it was created. */
async function ensureVolume(docker: Docker, workspace: string, labels: Record<string, string>): Promise<boolean> {
  const name = workspaceVolume(workspace);
  try {
    await docker.getVolume(name).inspect();
    return false;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  await docker.createVolume({ Name: name, Labels: { ...labels, [SANDBOX_LABELS.managed]: 'true', [SANDBOX_LABELS.workspace]: workspace } });
  return true;
}

/**
 * Deletes a workspace's volume if it is a MetisAI one and no container uses it (409 from the engine: left alone);
 * nothing happens when it is gone.
 */
export async function removeVolume(docker: Docker, workspace: string): Promise<void> {
  const volume = docker.getVolume(workspaceVolume(workspace));
  try {
    const info = (await volume.inspect()) as { Labels?: Record<string, string> | null };
    if (info.Labels?.[SANDBOX_LABELS.managed] !== 'true') return;
    await volume.remove();
  } catch (err) {
    if (statusOf(err) !== 404 && statusOf(err) !== 409) throw err;
  }
}

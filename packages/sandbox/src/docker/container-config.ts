import type Docker from 'dockerode';
import { SANDBOX_UID } from './prepare-container.ts';
import { SANDBOX_LABELS, workspaceVolume } from './sandbox-labels.ts';

export interface SandboxLimits {
  /** Memory limit; swap is disabled (default 2 GiB). */
  memoryBytes?: number;
  /** CPU quota in cores, fractions allowed (default 1). */
  cpus?: number;
  /** Most processes and threads at once (default 512); stops fork bombs. */
  pids?: number;
}

export const DEFAULT_LIMITS: Required<SandboxLimits> = { memoryBytes: 2 * 1024 ** 3, cpus: 1, pids: 512 };

/**
 * Capabilities added back when a sandbox opts into root: what package installs need (dpkg
 * chowns and sets modes and setuid bits, apt drops to its `_apt` user, maintainer scripts kill
 * daemons). Not added: NET_RAW, MKNOD, SYS_CHROOT, AUDIT_WRITE, NET_BIND_SERVICE and anything
 * beyond Docker's default set.
 */
export const ROOT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETUID', 'SETGID', 'KILL', 'SETFCAP'] as const;

/**
 * PID 1 of every sandbox: waits on a stdin the engine keeps open, exits on SIGTERM (so `stop` is
 * quick) and, being bash, reaps orphaned children. Needs nothing but bash.
 */
const KEEPER_SCRIPT = 'trap "exit 0" TERM INT HUP; while read -r _; do :; done; while :; do sleep 3600 & wait $!; done';

export interface ContainerConfigInput {
  id: string;
  image: string;
  workdir: string;
  labels: Record<string, string>;
  limits: Required<SandboxLimits>;
  /** The Docker network to attach it to: our sandbox network, or `none`. */
  network: string;
  asRoot: boolean;
  /** Its volume is mounted at `workdir`. */
  workspace: string;
}

export const sandboxUser = (asRoot: boolean): string => (asRoot ? '0:0' : `${SANDBOX_UID}:${SANDBOX_UID}`);

/**
 * The container of a sandbox: non-root, no capabilities, no new privileges, limited, labelled, no host mounts (its one
 * mount is its workspace volume), no IPv6 (its link-local addresses would reach the host past the IPv4 rules), no
 * secrets in its environment.
 */
export function containerConfig(input: ContainerConfigInput): Docker.ContainerCreateOptions {
  return {
    name: input.id,
    Image: input.image,
    Entrypoint: ['bash', '-c', KEEPER_SCRIPT],
    Cmd: [],
    User: sandboxUser(input.asRoot),
    WorkingDir: input.workdir,
    // Nothing given to `create` (`env`: a conversation's secrets) goes here, where `docker inspect` shows it: the shell
    // gets it (its exec's environment and `setEnv`), as a pooled sandbox does.
    Env: [`METISAI_SANDBOX_ID=${input.id}`],
    Labels: {
      ...input.labels,
      [SANDBOX_LABELS.managed]: 'true',
      [SANDBOX_LABELS.workdir]: input.workdir,
      [SANDBOX_LABELS.user]: sandboxUser(input.asRoot),
      [SANDBOX_LABELS.workspace]: input.workspace,
    },
    OpenStdin: true,
    StdinOnce: false,
    Tty: false,
    StopTimeout: 5,
    HostConfig: {
      CapDrop: ['ALL'],
      CapAdd: input.asRoot ? [...ROOT_CAPABILITIES] : [],
      SecurityOpt: ['no-new-privileges:true'],
      Memory: input.limits.memoryBytes,
      MemorySwap: input.limits.memoryBytes,
      NanoCpus: Math.round(input.limits.cpus * 1e9),
      PidsLimit: input.limits.pids,
      NetworkMode: input.network,
      Sysctls: { 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv6.conf.default.disable_ipv6': '1' },
      Init: false,
      Privileged: false,
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'none', Config: {} },
      // The only mount: the workspace volume (a new one starts with the image's content at that path).
      Mounts: [{ Type: 'volume', Source: workspaceVolume(input.workspace), Target: input.workdir }],
    },
  };
}

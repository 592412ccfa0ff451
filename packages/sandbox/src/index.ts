export type {
  DirEntry,
  Editor,
  EditorObservation,
  EditorCommand,
  EditorParams,
  ExecuteBashOptions,
  ExecuteBashParams,
  ExecuteBashResult,
  ExecuteBashStatus,
  FileKind,
  FileStat,
  ReapOptions,
  Sandbox,
  SandboxCommonOptions,
  SandboxDriverName,
  SandboxFiles,
  SandboxInfo,
  SandboxState,
  Shell,
  ShellOptions,
} from './sandbox.ts';
export { DEFAULT_OWNER, EDITOR_COMMANDS } from './sandbox.ts';
export * from './errors.ts';
export { createSandbox, connectSandbox, sandboxDriverFrom, type CreateSandboxOptions, type ConnectSandboxOptions } from './create-sandbox.ts';
export { SandboxPool, type AcquireOptions, type SandboxPoolOptions } from './sandbox-pool.ts';
export {
  DockerSandbox,
  DOCKER_WORKDIR,
  type DockerConnectOptions,
  type DockerListOptions,
  type DockerReapOptions,
  type DockerSandboxOptions,
} from './docker/docker-sandbox.ts';
export { DEFAULT_LIMITS, ROOT_CAPABILITIES, type SandboxLimits } from './docker/container-config.ts';
export { SANDBOX_LABELS } from './docker/sandbox-labels.ts';
export { buildSandboxImage, defaultBaseImage, defaultSandboxImage, ensureImage, type BuildImageOptions } from './docker/sandbox-image.ts';
export { createDockerClient } from './docker/docker-client.ts';
export { DockerFiles } from './docker/docker-files.ts';
export { LocalSandbox, localRootDir, type LocalConnectOptions, type LocalListOptions, type LocalSandboxOptions } from './local/local-sandbox.ts';
export type { PtyHelper } from './local/local-shell-transport.ts';
export { BashSession, type BashSessionOptions } from './shell/bash-session.ts';
export type { OpenShellTransport, ShellTransport, ShellTransportHandlers } from './shell/shell-transport.ts';
export { HostFileSystem } from './files/host-file-system.ts';
export { createEditor, type EditorOptions } from './editor/index.ts';

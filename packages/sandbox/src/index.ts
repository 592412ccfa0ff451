// The public surface: the driver factories, the pool, the image policy check, errors and types. Everything else is internal
// (test/exports.test.ts pins the runtime list).
export type {
  ChangeWatch,
  DirEntry,
  Editor,
  EntryKind,
  FileInfo,
  RemoveOptions,
  ScanOptions,
  ScanResult,
  TreeEntry,
  WalkOptions,
  WriteStreamOptions,
  EditorObservation,
  EditorCommand,
  EditorParams,
  ExecuteBashOptions,
  ExecuteBashParams,
  ExecuteBashResult,
  ExecuteBashStatus,
  FileKind,
  FileStat,
  NetworkPolicy,
  Sandbox,
  SandboxDriverName,
  SandboxFiles,
  SandboxInfo,
  SandboxState,
  Shell,
  ShellOptions,
  StartedWatch,
  WatchedChanges,
  WatchOptions,
} from './sandbox.ts';
export type {
  AttachedFiles,
  ConnectSandboxOptions,
  CreateSandboxOptions,
  ReapOptions,
  SandboxDriver,
  SandboxDriverOptions,
  SandboxImageBuild,
  SandboxListFilter,
} from './sandbox-driver.ts';
export type { ImageBuildProgress } from './docker/build-log.ts';
export { createSandboxDriver, type SandboxDriverConfig } from './create-sandbox-driver.ts';
export { dockerDriver, type DockerDriverOptions } from './docker/docker-driver.ts';
export type { DockerEngineOptions } from './docker/docker-client.ts';
export type { SandboxLimits } from './docker/container-config.ts';
export { assertImageAllowed, DEFAULT_SANDBOX_IMAGE } from './docker/sandbox-image.ts';
export type { SandboxNetworkOptions } from './docker/sandbox-network.ts';
export { localDriver, type LocalDriverOptions } from './local/local-driver.ts';
export { EDITOR_COMMANDS } from './sandbox.ts';
export type { PtyHelper } from './local/local-shell-transport.ts';
export { SandboxPool, type AcquireOptions, type SandboxPoolOptions } from './sandbox-pool.ts';
export * from './errors.ts';

// The public surface: the driver factories, the pool, errors and types. Everything else is internal
// (test/exports.test.ts pins the runtime list).
export type {
  DirEntry,
  Editor,
  EntryKind,
  FileInfo,
  RemoveOptions,
  TreeEntry,
  WalkOptions,
  WriteStreamOptions,
  EditorObservation,
  EditorParams,
  ExecuteBashOptions,
  ExecuteBashParams,
  ExecuteBashResult,
  ExecuteBashStatus,
  FileKind,
  FileStat,
  Sandbox,
  SandboxDriverName,
  SandboxFiles,
  SandboxInfo,
  SandboxState,
  Shell,
  ShellOptions,
} from './sandbox.ts';
export type { AttachedFiles, CreateSandboxOptions, ReapOptions, SandboxDriver, SandboxDriverOptions, SandboxListFilter } from './sandbox-driver.ts';
export { createSandboxDriver, type SandboxDriverConfig } from './create-sandbox-driver.ts';
export { dockerDriver, type DockerDriverOptions } from './docker/docker-driver.ts';
export type { SandboxLimits } from './docker/container-config.ts';
export { localDriver, type LocalDriverOptions } from './local/local-driver.ts';
export type { PtyHelper } from './local/local-shell-transport.ts';
export { SandboxPool, type AcquireOptions, type SandboxPoolOptions } from './sandbox-pool.ts';
export * from './errors.ts';

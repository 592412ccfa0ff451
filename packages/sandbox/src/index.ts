// The public surface: the driver factories, the pool, errors and types. Everything else is internal
// (test/exports.test.ts pins the runtime list).
export type {
  DirEntry,
  Editor,
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
export type { CreateSandboxOptions, ReapOptions, SandboxDriver, SandboxDriverOptions, SandboxImageBuild, SandboxListFilter } from './sandbox-driver.ts';
export type { ImageBuildProgress } from './docker/build-log.ts';
export { createSandboxDriver, type SandboxDriverConfig } from './create-sandbox-driver.ts';
export { dockerDriver, type DockerDriverOptions } from './docker/docker-driver.ts';
export type { SandboxLimits } from './docker/container-config.ts';
export { localDriver, type LocalDriverOptions } from './local/local-driver.ts';
export type { PtyHelper } from './local/local-shell-transport.ts';
export { SandboxPool, type AcquireOptions, type SandboxPoolOptions } from './sandbox-pool.ts';
export * from './errors.ts';

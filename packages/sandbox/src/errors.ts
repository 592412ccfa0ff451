/**
 * Every error this package throws on purpose extends `SandboxError` and carries a stable
 * snake_case `code` that callers (the server, the agent loop) can switch on.
 */
export type SandboxErrorCode =
  | 'sandbox_error'
  | 'docker_unavailable'
  | 'not_found'
  | 'not_running'
  | 'image_not_allowed'
  | 'image_not_found'
  | 'image_build_failed'
  | 'image_without_bash'
  | 'shell_start_failed'
  | 'file_not_found'
  | 'is_directory'
  | 'not_a_directory'
  | 'file_exists'
  | 'symlink_loop'
  | 'invalid_argument'
  | 'network_unavailable';

export class SandboxError extends Error {
  override name = 'SandboxError';
  readonly code: SandboxErrorCode;

  constructor(message: string, options: { code?: SandboxErrorCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'sandbox_error';
  }
}

/** No Docker engine answers on the configured socket. */
export class DockerUnavailableError extends SandboxError {
  override name = 'DockerUnavailableError';
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'docker_unavailable', cause });
  }
}

/** No sandbox with this id (or it is not one of ours). */
export class SandboxNotFoundError extends SandboxError {
  override name = 'SandboxNotFoundError';
  readonly sandboxId: string;
  constructor(sandboxId: string, cause?: unknown) {
    super(`Sandbox not found: ${sandboxId}`, { code: 'not_found', cause });
    this.sandboxId = sandboxId;
  }
}

/** The sandbox stopped or died (killed, out of memory, removed) and cannot run commands. */
export class SandboxNotRunningError extends SandboxError {
  override name = 'SandboxNotRunningError';
  readonly sandboxId: string;
  constructor(sandboxId: string, detail: string, cause?: unknown) {
    super(`Sandbox ${sandboxId} is not running: ${detail}`, { code: 'not_running', cause });
    this.sandboxId = sandboxId;
  }
}

/** The image is not on the configured allowlist (`reason` says why when the list alone does not). */
export class ImageNotAllowedError extends SandboxError {
  override name = 'ImageNotAllowedError';
  readonly image: string;
  readonly allowedImages: readonly string[];
  constructor(image: string, allowedImages: readonly string[], reason?: string) {
    super(`Image "${image}" is not allowed for sandboxes${reason ? ` (${reason})` : ''}. Allowed images: ${allowedImages.join(', ') || '(none)'}`, {
      code: 'image_not_allowed',
    });
    this.image = image;
    this.allowedImages = allowedImages;
  }
}

/** The image is neither present nor pullable (or, built from a Dockerfile, not to be pulled: `detail` says so). */
export class ImageNotFoundError extends SandboxError {
  override name = 'ImageNotFoundError';
  readonly image: string;
  constructor(image: string, cause?: unknown, detail?: string) {
    super(`Image "${image}" is not present on the Docker engine ${detail ? `(${detail})` : 'and could not be pulled'}`, { code: 'image_not_found', cause });
    this.image = image;
  }
}

/** Building a sandbox image failed; `logTail` holds the end of its output (at most 40 lines, 3000 characters). */
export class ImageBuildError extends SandboxError {
  override name = 'ImageBuildError';
  readonly image: string;
  readonly logTail: string;
  constructor(image: string, detail: string, cause?: unknown, logTail = '') {
    super(`Building sandbox image "${image}" failed: ${detail}`, { code: 'image_build_failed', cause });
    this.image = image;
    this.logTail = logTail;
  }
}

/** Sandboxes need bash in the image. */
export class ImageWithoutBashError extends SandboxError {
  override name = 'ImageWithoutBashError';
  readonly image: string;
  constructor(image: string, cause?: unknown) {
    super(`Image "${image}" has no bash on its PATH; sandbox images need bash`, { code: 'image_without_bash', cause });
    this.image = image;
  }
}

/** The persistent shell did not come up. */
export class ShellStartError extends SandboxError {
  override name = 'ShellStartError';
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'shell_start_failed', cause });
  }
}

export class SandboxFileNotFoundError extends SandboxError {
  override name = 'SandboxFileNotFoundError';
  readonly path: string;
  constructor(path: string, cause?: unknown) {
    super(`No such file or directory: ${path}`, { code: 'file_not_found', cause });
    this.path = path;
  }
}

export class IsDirectoryError extends SandboxError {
  override name = 'IsDirectoryError';
  readonly path: string;
  constructor(path: string) {
    super(`Is a directory: ${path}`, { code: 'is_directory' });
    this.path = path;
  }
}

export class NotDirectoryError extends SandboxError {
  override name = 'NotDirectoryError';
  readonly path: string;
  constructor(path: string) {
    super(`Not a directory: ${path}`, { code: 'not_a_directory' });
    this.path = path;
  }
}

/** Something already exists where a move would put its source. */
export class FileExistsError extends SandboxError {
  override name = 'FileExistsError';
  readonly path: string;
  constructor(path: string) {
    super(`File exists: ${path}`, { code: 'file_exists' });
    this.path = path;
  }
}

/** Resolving a path met more symlinks than Linux allows (40): a loop, like `ELOOP`. */
export class SymlinkLoopError extends SandboxError {
  override name = 'SymlinkLoopError';
  readonly path: string;
  constructor(path: string) {
    super(`Too many levels of symbolic links: ${path}`, { code: 'symlink_loop' });
    this.path = path;
  }
}

export class InvalidArgumentError extends SandboxError {
  override name = 'InvalidArgumentError';
  constructor(message: string) {
    super(message, { code: 'invalid_argument' });
  }
}

/** The sandbox network, or the host rules that fence it, could not be set up: `egress` sandboxes are refused. */
export class SandboxNetworkError extends SandboxError {
  override name = 'SandboxNetworkError';
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'network_unavailable', cause });
  }
}

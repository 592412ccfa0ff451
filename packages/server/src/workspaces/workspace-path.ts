import { posix } from 'node:path';
import { ErrorCode } from '@metisai/sdk/schemas';
import { InvalidRequestError } from '../errors.ts';

/** The alias every driver accepts for the workspace root (Docker's workdir). */
export const WORKSPACE_ALIAS = '/workspace';

/** Longest name in a path, in UTF-8 bytes (Linux's NAME_MAX). */
export const MAX_NAME_BYTES = 255;
/** Longest path, in UTF-8 bytes (Linux's PATH_MAX, less the workspace root's own length and a little room). */
export const MAX_PATH_BYTES = 3_840;

/** 400 `invalid_path` naming the field; `message` never holds a host path. */
export const invalidPath = (field: string, message: string) =>
  new InvalidRequestError(ErrorCode.invalidPath, `Invalid ${field}: ${message}`, { details: [{ path: field, message }] });

/**
 * A workspace path from the API (`src/a.py`, `/workspace/src/a.py`, `./src/../src/a.py`) as a normalised path relative
 * to the workspace root: `''` for the root itself, no leading or trailing `/`. Checked lexically only (symlinks are
 * the caller's: see `insideWorkspace`). Throws `invalid_path` naming `field` for another absolute path, a `..` that
 * leaves the root, a NUL character, a name over `MAX_NAME_BYTES` or a path over `MAX_PATH_BYTES`.
 */
export function toWorkspacePath(input: string, field = 'path'): string {
  if (input.includes('\0')) throw invalidPath(field, 'must not contain NUL characters');
  // Linux's limits (NAME_MAX, PATH_MAX), checked here so no driver meets ENAMETOOLONG.
  if (Buffer.byteLength(input) > MAX_PATH_BYTES) throw invalidPath(field, `is longer than ${MAX_PATH_BYTES} bytes`);
  if (input.split('/').some((name) => Buffer.byteLength(name) > MAX_NAME_BYTES)) throw invalidPath(field, `has a name longer than ${MAX_NAME_BYTES} bytes`);
  let relative = input;
  if (relative.startsWith('/')) {
    if (relative !== WORKSPACE_ALIAS && !relative.startsWith(`${WORKSPACE_ALIAS}/`)) {
      throw invalidPath(field, `must be relative to the workspace root (or start with ${WORKSPACE_ALIAS}/)`);
    }
    relative = relative.slice(WORKSPACE_ALIAS.length);
  }
  const normal = posix.normalize(`./${relative}`).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) throw invalidPath(field, 'leaves the workspace');
  return normal === '.' ? '' : normal;
}

/** `relative` (from `toWorkspacePath`) under the sandbox's `workdir`. */
export const inWorkdir = (workdir: string, relative: string) => (relative === '' ? workdir : posix.join(workdir, relative));

/** Is `path` the root `root` or under it? Both absolute and normalised. */
export const insideWorkspace = (root: string, path: string) => path === root || path.startsWith(root === '/' ? '/' : `${root}/`);

/** `path` under `root` as a workspace path (`''` for the root); the caller checked `insideWorkspace`. */
export const relativeTo = (root: string, path: string) => (path === root ? '' : path.slice(root === '/' ? 1 : root.length + 1));

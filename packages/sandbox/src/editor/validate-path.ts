import { posix } from 'node:path';
import type { EditorParams, FileStat } from '../sandbox.ts';
import type { EditorContext } from './context.ts';
import { invalidParameter, missingParameter } from './errors.ts';

/**
 * Checks that `raw` is an absolute path and normalises it ("/a//b/../c/" → "/a/c").
 * A relative path is refused with a hint joined onto `workdir` when one is known. With `alias` (and `workdir`), the
 * alias and paths under it stand for `workdir` and what is under it: the local driver's workspace is a host directory,
 * and a model used to Docker's `/workspace` must not write to the host's root.
 */
export function normalizePath(raw: unknown, command: string, workdir: string | undefined, alias?: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw missingParameter(command, 'path');
  if (!raw.startsWith('/')) {
    const hint = workdir ? ` Maybe you meant ${posix.join(workdir, raw)}?` : ` Use the full path, e.g. /path/to/${raw}.`;
    throw invalidParameter('path', raw, `The path ${raw} is not an absolute path, it should start with \`/\`.${hint}`);
  }
  let normal = posix.normalize(raw);
  if (alias && workdir && (normal === alias || normal.startsWith(`${alias}/`))) normal = posix.join(workdir, normal.slice(alias.length));
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** Checks that `command` can act on what is at `path`; returns its stat (`null` only for `create`). */
export async function checkPath(ctx: EditorContext, command: EditorParams['command'], path: string): Promise<FileStat | null> {
  const stat = await ctx.files.stat(path);
  if (command === 'create') {
    if (stat) {
      throw invalidParameter(
        'path',
        path,
        `File already exists at: ${path}. Cannot overwrite files using command \`create\`. ` +
          'Use `view` to read it, and `str_replace` or `insert` to change it.',
      );
    }
    return null;
  }
  if (!stat) throw invalidParameter('path', path, `The path ${path} does not exist. Please provide a valid path.`);
  if (stat.kind === 'directory' && command !== 'view') {
    throw invalidParameter('path', path, `The path ${path} is a directory and only the \`view\` command can be used on directories.`);
  }
  if (stat.kind === 'other') {
    throw invalidParameter('path', path, `The path ${path} is not a regular file or directory, so this tool cannot open it.`);
  }
  return stat;
}

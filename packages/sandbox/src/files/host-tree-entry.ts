import { type Dirent, readlinkSync, type Stats } from 'node:fs';
import type { FileInfo, FileKind, TreeEntry } from '../sandbox.ts';

/** What `stat` (links followed) or a directory entry says an entry is. */
export const kindOf = (s: Stats | Dirent): FileKind => (s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other');

/** `FileInfo` of an `lstat` result: a symlink is reported as itself. */
export const infoOf = (name: string, s: Stats): FileInfo => ({
  name,
  kind: s.isSymbolicLink() ? 'symlink' : kindOf(s),
  sizeBytes: s.size,
  mtimeMs: s.mtimeMs,
  mode: s.mode & 0o7777,
});

/**
 * The `TreeEntry` of the host entry at `full` (relative path `path`, base name `name`) from its `lstat` result `s`,
 * a symlink's target read synchronously (left out when it cannot be read).
 */
export function treeEntryOf(full: string, path: string, name: string, s: Stats): TreeEntry {
  const info = infoOf(name, s);
  let linkTarget: string | undefined;
  if (info.kind === 'symlink') {
    try {
      linkTarget = readlinkSync(full);
    } catch {
      linkTarget = undefined;
    }
  }
  return { ...info, path, inode: s.ino, ctimeMs: s.ctimeMs, ...(linkTarget === undefined ? {} : { linkTarget }) };
}

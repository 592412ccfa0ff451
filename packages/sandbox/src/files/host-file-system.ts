import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { DirEntry, FileKind, FileStat, SandboxFiles } from '../sandbox.ts';

const kindOf = (s: Stats | Dirent): FileKind => (s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other');

const isMissing = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

function absolute(path: string): string {
  if (!isAbsolute(path)) throw new TypeError(`HostFileSystem needs an absolute path, got: ${path}`);
  return path;
}

/**
 * `SandboxFiles` over the host's own file system (the local driver). Paths are absolute host
 * paths; "upload" and "download" are both recursive copies on the host. Symlinks are followed
 * by `stat` and `readDir`, and copied as links by `uploadDir`/`downloadDir`.
 */
export class HostFileSystem implements SandboxFiles {
  async stat(path: string): Promise<FileStat | null> {
    try {
      const s = await stat(absolute(path));
      return { kind: kindOf(s), sizeBytes: s.size };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    const buf = await readFile(absolute(path));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    await mkdir(dirname(absolute(path)), { recursive: true });
    await writeFile(path, data);
  }

  async readDir(path: string): Promise<DirEntry[]> {
    const entries = await readdir(absolute(path), { withFileTypes: true });
    return Promise.all(
      entries.map(async (entry): Promise<DirEntry> => {
        if (!entry.isSymbolicLink()) return { name: entry.name, kind: kindOf(entry) };
        const target = await stat(join(path, entry.name)).catch(() => null);
        return { name: entry.name, kind: target ? kindOf(target) : 'other' };
      }),
    );
  }

  /** Copies the contents of `hostDir` into `sandboxDir` (created if missing; existing files are overwritten). */
  async uploadDir(hostDir: string, sandboxDir: string): Promise<void> {
    await copyDir(resolve(hostDir), absolute(sandboxDir));
  }

  /** Copies the contents of `sandboxDir` into `hostDir` (created if missing; existing files are overwritten). */
  async downloadDir(sandboxDir: string, hostDir: string): Promise<void> {
    await copyDir(absolute(sandboxDir), resolve(hostDir));
  }

  /** Deletes a file (not a directory); nothing happens when it is already gone. Lets the editor undo a `create`. */
  async remove(path: string): Promise<void> {
    await rm(absolute(path), { force: true });
  }
}

async function copyDir(from: string, to: string): Promise<void> {
  const s = await stat(from);
  if (!s.isDirectory()) throw new Error(`Not a directory: ${from}`);
  await mkdir(to, { recursive: true });
  await cp(from, to, { recursive: true, force: true, preserveTimestamps: true, verbatimSymlinks: true });
}

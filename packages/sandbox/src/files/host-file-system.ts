import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { chmod, cp, lstat, mkdir, open, readdir, readFile, readlink, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileExistsError, IsDirectoryError, NotDirectoryError, SandboxError, SandboxFileNotFoundError } from '../errors.ts';
import type {
  DirEntry,
  FileInfo,
  FileStat,
  RemoveOptions,
  SandboxFiles,
  ScanOptions,
  ScanResult,
  StartedWatch,
  TreeEntry,
  WatchOptions,
  WalkOptions,
  WriteStreamOptions,
} from '../sandbox.ts';
import { hostTreeInspector, watchHostDirectory } from './host-directory-watch.ts';
import { infoOf, kindOf, treeEntryOf } from './host-tree-entry.ts';
import { packDirectory } from './pack-directory.ts';
import { resolveRealPath } from './real-path.ts';

/** Longest stretch a `scan` holds the event loop before it lets other work run. */
const SCAN_SLICE_MS = 4;

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code;
const isMissing = (err: unknown) => codeOf(err) === 'ENOENT' || codeOf(err) === 'ENOTDIR';

function absolute(path: string): string {
  if (!isAbsolute(path)) throw new TypeError(`HostFileSystem needs an absolute path, got: ${path}`);
  return path;
}

/** Name of the temporary file a streamed write goes to before it is renamed over its target. */
export const uploadTempName = (target: string) => `.${basename(target)}.metisai-upload-${randomBytes(6).toString('hex')}`;

/** Counts the bytes going through and fails when they exceed `expected`; `check()` fails when fewer came. */
export function byteCounter(expected: number): Transform & { check(): void } {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > expected) done(new SandboxError(`The source is longer than the announced ${expected} bytes`));
      else done(null, chunk);
    },
  });
  return Object.assign(counter, {
    check() {
      if (seen !== expected) throw new SandboxError(`The source ended after ${seen} of the announced ${expected} bytes`);
    },
  });
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

  async lstat(path: string): Promise<FileInfo | null> {
    try {
      return infoOf(basename(path), await lstat(absolute(path)));
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  realpath(path: string): Promise<string> {
    return resolveRealPath(absolute(path), async (current) => {
      const info = await lstat(current).catch((err: unknown) => {
        if (isMissing(err)) return null;
        throw err;
      });
      if (!info) return null;
      return info.isSymbolicLink() ? { isSymlink: true, target: await readlink(current) } : { isSymlink: false };
    });
  }

  async readFile(path: string): Promise<Uint8Array> {
    const buf = await readFile(absolute(path));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async readFileStream(path: string): Promise<Readable> {
    const found = await this.stat(path);
    if (!found) throw new SandboxFileNotFoundError(path);
    if (found.kind === 'directory') throw new IsDirectoryError(path);
    // Opened before answering, so a failure is this call's, not the stream's.
    const handle = await open(path, 'r');
    return handle.createReadStream();
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    await mkdir(dirname(absolute(path)), { recursive: true });
    await writeFile(path, data);
  }

  async writeFileStream(path: string, source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, options: WriteStreamOptions): Promise<FileInfo> {
    const target = await this.realpath(absolute(path));
    const existing = await stat(target).catch((err: unknown) => {
      if (isMissing(err)) return null;
      throw err;
    });
    if (existing?.isDirectory()) throw new IsDirectoryError(path);
    await this.mkdir(dirname(target));
    const temp = join(dirname(target), uploadTempName(target));
    const counter = byteCounter(options.sizeBytes);
    try {
      const handle = await open(temp, 'wx', existing ? existing.mode & 0o7777 : 0o644);
      await pipeline(source as NodeJS.ReadableStream, counter, handle.createWriteStream());
      counter.check();
      if (existing) await chmod(temp, existing.mode & 0o7777);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return (await this.lstat(target))!;
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

  async list(path: string): Promise<FileInfo[]> {
    const names = await this.#names(path);
    const infos = await Promise.all(
      names.map((name) =>
        lstat(join(path, name)).then(
          (s) => infoOf(name, s),
          () => null,
        ),
      ),
    );
    return infos.filter((info): info is FileInfo => info !== null);
  }

  async walk(path: string, options: WalkOptions = {}): Promise<TreeEntry[]> {
    const prune = new Set(options.prune ?? []);
    const entries: TreeEntry[] = [];
    const visit = async (dir: string, prefix: string): Promise<void> => {
      const names = prefix === '' ? await this.#names(dir) : await readdir(dir).catch(() => [] as string[]);
      const stats = await Promise.all(
        names.map((name) =>
          lstat(join(dir, name)).then(
            (s) => [name, s] as const,
            () => null,
          ),
        ),
      );
      for (const found of stats) {
        if (!found) continue;
        const info = infoOf(found[0], found[1]);
        if (info.kind === 'directory' && prune.has(info.name)) continue;
        const relative = prefix + info.name;
        const linkTarget = info.kind === 'symlink' ? await readlink(join(dir, info.name)).catch(() => undefined) : undefined;
        entries.push({ ...info, path: relative, inode: found[1].ino, ctimeMs: found[1].ctimeMs, ...(linkTarget === undefined ? {} : { linkTarget }) });
        if (info.kind === 'directory') await visit(join(dir, info.name), `${relative}/`);
      }
    };
    await visit(absolute(path), '');
    return entries;
  }

  /**
   * `SandboxFiles.scan`: a walk with synchronous `readdir`/`lstat` calls (a promise per entry costs several times the
   * system call), which hands the event loop back every `SCAN_SLICE_MS`.
   */
  async scan(path: string, options: ScanOptions = {}): Promise<ScanResult> {
    const root = absolute(path);
    await this.#names(root);
    const clockMs = Date.now();
    const after = options.changedAfterMs;
    const entries: TreeEntry[] = [];
    const listedDirectories: string[] = [];
    const changed = (s: Stats) => after === undefined || s.ctimeMs > after;
    let sliceStarted = performance.now();
    const visit = async (dir: string, prefix: string, isListed: boolean): Promise<void> => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      for (const name of names) {
        const full = join(dir, name);
        const s = lstatSync(full, { throwIfNoEntry: false });
        if (!s) continue;
        const relative = prefix + name;
        const isChanged = changed(s);
        if (isChanged || isListed) entries.push(treeEntryOf(full, relative, name, s));
        if (s.isDirectory()) {
          if (isChanged) listedDirectories.push(relative);
          if (performance.now() - sliceStarted > SCAN_SLICE_MS) {
            await new Promise((resolve) => setImmediate(resolve));
            sliceStarted = performance.now();
          }
          await visit(full, `${relative}/`, isChanged);
        }
      }
    };
    const rootChanged = after === undefined || (lstatSync(root, { throwIfNoEntry: false })?.ctimeMs ?? Number.POSITIVE_INFINITY) > after;
    if (rootChanged) listedDirectories.push('');
    await visit(root, '', rootChanged);
    return { clockMs, entries, listedDirectories };
  }

  /** `SandboxFiles.watch`: inotify on the directory itself, looked at with `lstat`/`readdir` here. */
  async watch(path: string, options?: WatchOptions): Promise<StartedWatch | null> {
    const root = absolute(path);
    await this.#names(root);
    return watchHostDirectory(root, hostTreeInspector(root), options);
  }

  /** Deletes a file, link or empty directory (any tree with `recursive`); nothing happens when it is already gone. Lets the editor undo a `create`. */
  async remove(path: string, options: RemoveOptions = {}): Promise<void> {
    const found = await this.lstat(path);
    if (found?.kind === 'directory' && !options.recursive) await rmdir(path);
    else await rm(absolute(path), { force: true, recursive: options.recursive ?? false });
  }

  async move(from: string, to: string): Promise<void> {
    if (!(await this.lstat(absolute(from)))) throw new SandboxFileNotFoundError(from);
    if (await this.lstat(absolute(to))) throw new FileExistsError(to);
    await this.mkdir(dirname(to));
    await rename(from, to);
  }

  async mkdir(path: string): Promise<void> {
    try {
      await mkdir(absolute(path), { recursive: true });
    } catch (err) {
      if (codeOf(err) === 'EEXIST' || codeOf(err) === 'ENOTDIR') throw new NotDirectoryError(path);
      throw err;
    }
  }

  async archive(path: string): Promise<Readable> {
    await this.#names(path);
    const { uid, gid } = userInfo();
    return Readable.from(packDirectory(path, { uid, gid }, { prefix: basename(path) }), { objectMode: false });
  }

  /** Copies the contents of `hostDir` into `sandboxDir` (created if missing; existing files are overwritten). */
  async uploadDir(hostDir: string, sandboxDir: string): Promise<void> {
    await copyDir(resolve(hostDir), absolute(sandboxDir));
  }

  /** Copies the contents of `sandboxDir` into `hostDir` (created if missing; existing files are overwritten). */
  async downloadDir(sandboxDir: string, hostDir: string): Promise<void> {
    await copyDir(absolute(sandboxDir), resolve(hostDir));
  }

  /** The names in a directory, with the errors `list` promises. */
  async #names(path: string): Promise<string[]> {
    try {
      return await readdir(absolute(path));
    } catch (err) {
      if (codeOf(err) === 'ENOENT') throw new SandboxFileNotFoundError(path);
      if (codeOf(err) === 'ENOTDIR') throw new NotDirectoryError(path);
      throw err;
    }
  }
}

async function copyDir(from: string, to: string): Promise<void> {
  const s = await stat(from);
  if (!s.isDirectory()) throw new Error(`Not a directory: ${from}`);
  await mkdir(to, { recursive: true });
  await cp(from, to, { recursive: true, force: true, preserveTimestamps: true, verbatimSymlinks: true });
}

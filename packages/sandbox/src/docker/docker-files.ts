import { lstatSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import {
  FileExistsError,
  InvalidArgumentError,
  IsDirectoryError,
  NotDirectoryError,
  SandboxError,
  SandboxFileNotFoundError,
  SymlinkLoopError,
} from '../errors.ts';
import { extractToDirectory } from '../files/extract-directory.ts';
import { type InspectedEntry, type TreeInspector, watchHostDirectory } from '../files/host-directory-watch.ts';
import { byteCounter, uploadTempName } from '../files/host-file-system.ts';
import { packDirectory } from '../files/pack-directory.ts';
import { resolveRealPath } from '../files/real-path.ts';
import { buildTar, preciseMtime, readFirstTarEntry, type TarOwner } from '../files/tar-archive.ts';
import { firstTarEntryStream } from '../files/tar-entry-stream.ts';
import type {
  DirEntry,
  EntryKind,
  FileInfo,
  FileKind,
  FileStat,
  RemoveOptions,
  SandboxFiles,
  ScanOptions,
  ScanResult,
  StartedWatch,
  TreeEntry,
  WalkOptions,
  WatchOptions,
  WriteStreamOptions,
} from '../sandbox.ts';
import { statusOf } from './docker-client.ts';
import { type ExecResult, execCommand } from './exec-command.ts';
import type { HelperProcess } from './helper-process.ts';

/** What `HEAD /containers/{id}/archive` reports (Go's `os.FileMode` in `mode`, `mtime` in RFC 3339 to the second). */
interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

const MODE_DIR = 0x80000000;
const MODE_SYMLINK = 1 << 27;
// Every type bit of Go's FileMode: dir, append, exclusive, temporary, symlink, device, pipe, socket, setuid…, char device, sticky, irregular.
const MODE_TYPE = 0x80000000 | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);
const MAX_LINKS = 16;

const kindOf = (mode: number): FileKind => {
  const bits = mode >>> 0;
  if (bits & MODE_DIR) return 'directory';
  return (bits & MODE_TYPE) === 0 ? 'file' : 'other';
};

const entryKindOf = (mode: number): EntryKind => ((mode >>> 0) & MODE_SYMLINK ? 'symlink' : kindOf(mode));

function absolute(path: string): string {
  if (!posix.isAbsolute(path)) throw new InvalidArgumentError(`Sandbox paths must be absolute, got: ${path}`);
  return posix.normalize(path);
}

// Lists a directory as the sandbox user: "<kind>\t<name>\0" per entry; exit 3 missing, 4 not a directory.
const READ_DIR_SCRIPT = `[[ -e $1 ]] || exit 3; [[ -d $1 ]] || exit 4; cd -- "$1" || exit 5
shopt -s dotglob nullglob
for f in *; do if [[ -d $f ]]; then t=directory; elif [[ -f $f ]]; then t=file; else t=other; fi; printf '%s\\t%s\\0' "$t" "$f"; done`;

// Entries of a directory (`list`, with `-maxdepth 1`) or a tree (`walk`) as the sandbox user: eight NUL-terminated
// fields per entry (type letter, size, mtime and ctime in seconds, octal mode, inode, name or relative path, a symlink's
// target or nothing). `find -H` follows the starting point when it is a link, nothing else; `$2…` are directory names to
// prune. Exit 3: missing, 4: not a directory.
const FIND_SCRIPT = `dir=$1; depth=$2; shift 2
[[ -e $dir || -L $dir ]] || exit 3; [[ -d $dir ]] || exit 4
fields='%y\\0%s\\0%T@\\0%C@\\0%m\\0%i\\0%P\\0%l\\0'
limit=(); [[ $depth == 1 ]] && limit=(-maxdepth 1)
names=(); for name in "$@"; do names+=(-o -name "$name"); done
if (( \${#names[@]} )); then find -H "$dir" -mindepth 1 "\${limit[@]}" \\( -type d \\( "\${names[@]:1}" \\) -prune \\) -o -printf "$fields"
else find -H "$dir" -mindepth 1 "\${limit[@]}" -printf "$fields"; fi`;

// The record `SCAN_SCRIPT` and `INSPECT_SCRIPT` print per entry: nine NUL-terminated fields (FIND_SCRIPT's eight, with
// the path from `./` (the root itself is `.`), then the link count).
const PATH_RECORD = '%y\\0%s\\0%T@\\0%C@\\0%m\\0%i\\0%p\\0%l\\0%n\\0';

// `scan` as the sandbox user: the clock first (one field, seconds), then a `PATH_RECORD` per entry: every entry, or
// with $2 (seconds) those whose ctime is later. Exit 3: missing, 4: not a directory; find's own exit status otherwise
// (1: some entries unreadable).
const SCAN_SCRIPT = `dir=$1; since=$2
[[ -e $dir || -L $dir ]] || exit 3; [[ -d $dir ]] || exit 4; cd -- "$dir" || exit 3
clock=$EPOCHREALTIME; [[ -n $clock ]] || clock=$(date +%s.%N)
printf '%s\\0' "$clock"
fields='${PATH_RECORD}'
if [[ -z $since ]]; then find . -printf "$fields"; else find . -newerct "@$since" -printf "$fields"; fi`;

// As the sandbox user from the directory $1: for the paths $3… (from `./`; the root is `.`), each entry itself (depth
// $2 = 0: a watch's `stat`) or with the entries directly inside it (1: a watch's `list`, the changed directories of a
// `scan`), a `PATH_RECORD` each; a few hundred paths per find, so no argument list grows too long. A path where nothing
// is prints nothing. Exit 3: $1 missing, 4: not a directory, 9: a find failed (1, some entries missing or unreadable,
// is not a failure).
const INSPECT_SCRIPT = `[[ -e $1 || -L $1 ]] || exit 3; [[ -d $1 ]] || exit 4; cd -- "$1" || exit 9; depth=$2; shift 2
fields='${PATH_RECORD}'
for ((i = 1; i <= $#; i += 200)); do find -P "\${@:i:200}" -maxdepth "$depth" -printf "$fields"; (( $? > 1 )) && exit 9; done
exit 0`;

const FIND_KINDS: Record<string, EntryKind> = { f: 'file', d: 'directory', l: 'symlink' };

/**
 * Milliseconds since the epoch from find's `%T@`/`%C@` (seconds with up to ten decimals), computed as Node computes
 * `Stats.mtimeMs` from the kernel's seconds and nanoseconds (`sec * 1000 + nsec / 1e6`): the same entry lstat'ed on
 * the host (a watched volume, see `watch`) and listed here gives the same number, to the last bit.
 */
export function findTimeMs(field: string): number {
  const dot = field.indexOf('.');
  if (dot < 0) return Number(field) * 1000;
  const nanoseconds = Number(field.slice(dot + 1, dot + 10).padEnd(9, '0'));
  return Number(field.slice(0, dot)) * 1000 + nanoseconds / 1e6;
}

/** One entry of `FIND_SCRIPT`'s output or a `PATH_RECORD` (their first eight fields). */
function entryOf(fields: readonly string[], at: number, path: string): TreeEntry {
  const kind = FIND_KINDS[fields[at]!] ?? 'other';
  return {
    path,
    name: posix.basename(path),
    kind,
    sizeBytes: Number(fields[at + 1]),
    mtimeMs: findTimeMs(fields[at + 2]!),
    ctimeMs: findTimeMs(fields[at + 3]!),
    mode: Number.parseInt(fields[at + 4]!, 8),
    inode: Number(fields[at + 5]),
    ...(kind === 'symlink' ? { linkTarget: fields[at + 7]! } : {}),
  };
}

/** `PATH_RECORD`s of an output split at NULs (after `skip` leading fields), paths relative to the directory listed. */
function pathRecords(fields: readonly string[], skip = 0): InspectedEntry[] {
  const entries: InspectedEntry[] = [];
  for (let i = skip; i + 9 <= fields.length; i += 9) {
    const raw = fields[i + 6]!;
    const path = raw === '.' ? '' : raw.startsWith('./') ? raw.slice(2) : raw;
    entries.push({ ...entryOf(fields, i, path), links: Number(fields[i + 8]) });
  }
  return entries;
}

/** Parses `FIND_SCRIPT`'s output. */
function parseFind(output: Buffer): TreeEntry[] {
  const fields = output.toString('utf8').split('\0');
  const entries: TreeEntry[] = [];
  for (let i = 0; i + 8 <= fields.length; i += 8) entries.push(entryOf(fields, i, fields[i + 6]!));
  return entries;
}

// The first $2 bytes of the regular file $1 (links followed), as the sandbox user. Exit 3: not a readable regular file.
const READ_SCRIPT = `[[ -f $1 && -r $1 ]] || exit 3; head -c "$2" -- "$1"`;
/** Largest file `readFile` takes through the helper process. */
const HELPER_READ_MAX_BYTES = 256 * 1024;

// Removes what is at $2: a tree when $1 is "r", else a file, link or empty directory.
const REMOVE_SCRIPT = `if [[ $1 == r ]]; then rm -rf -- "$2"; elif [[ -d $2 && ! -L $2 ]]; then rmdir -- "$2"; else rm -f -- "$2"; fi`;
// Moves $1 to $2 and creates $2's parents. Exit 3: $1 missing, 6: $2 exists, 4: a parent of $2 is not a directory.
const MOVE_SCRIPT = `[[ -e $1 || -L $1 ]] || exit 3; [[ -e $2 || -L $2 ]] && exit 6
parent=$(dirname -- "$2"); [[ -e $parent && ! -d $parent ]] && exit 4
mkdir -p -- "$parent" || exit 4; mv -T -- "$1" "$2"`;
// Creates $1 with its parents. Exit 4: something that is not a directory is in the way.
const MKDIR_SCRIPT = `[[ -e $1 && ! -d $1 ]] && exit 4; mkdir -p -- "$1" 2>/dev/null && exit 0; [[ -d $1 ]] && exit 0; exit 4`;

/**
 * `SandboxFiles` through the Docker archive API (tar over HTTP), so it works whatever the agent's
 * shell is doing. Written files and created directories belong to the sandbox user.
 */
export class DockerFiles implements SandboxFiles {
  private readonly container: Docker.Container;
  private readonly user: string;
  private readonly owner: TarOwner;
  private readonly helper: HelperProcess | undefined;
  /** The container's mounts, once asked for (`watch`). */
  private mounts: Promise<{ Type?: string; Source?: string; Destination?: string }[]> | undefined;

  /** `helper`: a long-lived process for listings (`list`, `walk`), which an agent's every bash step runs; else one exec each. */
  constructor(container: Docker.Container, options: { user: string; owner: TarOwner; helper?: HelperProcess }) {
    this.container = container;
    this.user = options.user;
    this.owner = options.owner;
    this.helper = options.helper;
  }

  async stat(path: string): Promise<FileStat | null> {
    const found = await this.resolve(absolute(path));
    return found ? { kind: kindOf(found.stat.mode), sizeBytes: found.stat.size } : null;
  }

  async lstat(path: string): Promise<FileInfo | null> {
    const wanted = absolute(path);
    // The engine resolves a link in the last component too: one in a loop is stat'ed in the sandbox instead.
    const stat = await this.rawStat(wanted).catch((err: unknown) => (err instanceof SymlinkLoopError ? this.statInSandbox(wanted) : Promise.reject(err)));
    if (!stat) return null;
    return { name: posix.basename(wanted), kind: entryKindOf(stat.mode), sizeBytes: stat.size, mtimeMs: Date.parse(stat.mtime), mode: stat.mode & 0o777 };
  }

  realpath(path: string): Promise<string> {
    return resolveRealPath(absolute(path), async (current) => {
      const stat = await this.rawStat(current);
      if (!stat) return null;
      return (stat.mode >>> 0) & MODE_SYMLINK && stat.linkTarget ? { isSymlink: true, target: stat.linkTarget } : { isSymlink: false };
    });
  }

  async readFileStream(path: string): Promise<Readable> {
    const wanted = absolute(path);
    const found = await this.resolve(wanted);
    if (!found) throw new SandboxFileNotFoundError(wanted);
    if (kindOf(found.stat.mode) === 'directory') throw new IsDirectoryError(wanted);
    return firstTarEntryStream(await this.container.getArchive({ path: found.path }));
  }

  /**
   * A regular file the sandbox user can read, up to `HELPER_READ_MAX_BYTES`, comes through the helper process (one
   * request, where the archive endpoint takes several); anything else (larger, unreadable by the sandbox user, missing, a
   * directory, no helper) through the Engine API's archive endpoint, as root.
   */
  async readFile(path: string): Promise<Uint8Array> {
    const wanted = absolute(path);
    if (this.helper) {
      const result = await this.helper.run(READ_SCRIPT, [wanted, String(HELPER_READ_MAX_BYTES + 1)]).catch(() => null);
      if (result?.exitCode === 0 && result.stdout.byteLength <= HELPER_READ_MAX_BYTES) {
        return new Uint8Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength);
      }
    }
    const found = await this.resolve(wanted);
    if (!found) throw new SandboxFileNotFoundError(wanted);
    if (kindOf(found.stat.mode) === 'directory') throw new IsDirectoryError(wanted);
    const entry = await readFirstTarEntry(await this.container.getArchive({ path: found.path }));
    if (!entry) throw new SandboxFileNotFoundError(wanted);
    return new Uint8Array(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const wanted = absolute(path);
    if (wanted === '/') throw new IsDirectoryError(wanted);
    const found = await this.resolve(wanted);
    if (found && kindOf(found.stat.mode) === 'directory') throw new IsDirectoryError(wanted);
    const target = found?.path ?? wanted;
    const parent = posix.dirname(target);
    if (!found) await this.ensureDirectory(parent);
    // Keep the permission bits of a file being replaced (an executable stays executable).
    const mode = found ? found.stat.mode & 0o7777 : 0o644;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const archive = await buildTar([{ name: posix.basename(target), type: 'file', mode, data: bytes }], this.owner);
    await this.container.putArchive(archive, { path: parent });
  }

  async writeFileStream(path: string, source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, options: WriteStreamOptions): Promise<FileInfo> {
    const wanted = absolute(path);
    if (wanted === '/') throw new IsDirectoryError(wanted);
    const found = await this.resolve(wanted);
    if (found && kindOf(found.stat.mode) === 'directory') throw new IsDirectoryError(wanted);
    const target = found?.path ?? wanted;
    const parent = posix.dirname(target);
    if (!found) await this.ensureDirectory(parent);
    const temp = posix.join(parent, uploadTempName(target));
    // Tar needs the size up front: the entry is exactly `sizeBytes` long, or the archive (and the upload) fails.
    const archive = pack();
    const writtenAt = new Date();
    const counter = byteCounter(options.sizeBytes);
    const header = {
      name: posix.basename(temp),
      type: 'file' as const,
      size: options.sizeBytes,
      mode: found ? found.stat.mode & 0o777 : 0o644,
      uid: this.owner.uid,
      gid: this.owner.gid,
      mtime: writtenAt,
      pax: preciseMtime(writtenAt),
    };
    const written = new Promise<void>((resolve, reject) => {
      const sink = archive.entry(header, (err) => (err ? reject(err) : resolve()));
      pipeline(source as NodeJS.ReadableStream, counter, sink as unknown as NodeJS.WritableStream).catch(reject);
    }).then(() => {
      counter.check();
      archive.finalize();
    });
    written.catch((err: Error) => archive.destroy(err));
    try {
      await Promise.all([written, this.container.putArchive(archive as unknown as NodeJS.ReadableStream, { path: parent })]);
      await this.exec(['mv', '-f', '-T', '--', temp, target], `Cannot write ${wanted}`);
    } catch (err) {
      await execCommand(this.container, ['rm', '-f', '--', temp], { user: this.user }).catch(() => undefined);
      throw err;
    }
    return (await this.lstat(target)) ?? Promise.reject(new SandboxFileNotFoundError(wanted));
  }

  async list(path: string): Promise<FileInfo[]> {
    return (await this.find(absolute(path), 1, [])).map(({ path: _path, linkTarget: _target, inode: _inode, ...info }) => info);
  }

  walk(path: string, options: WalkOptions = {}): Promise<TreeEntry[]> {
    return this.find(absolute(path), 0, options.prune ?? []);
  }

  /**
   * `SandboxFiles.scan` through the helper process: one request (one `find` walk of the tree; see `SCAN_SCRIPT`), and
   * with `changedAfterMs` a second one for the entries of the directories that changed, when any did.
   */
  async scan(path: string, options: ScanOptions = {}): Promise<ScanResult> {
    const dir = absolute(path);
    const since = options.changedAfterMs === undefined ? '' : (options.changedAfterMs / 1000).toFixed(6);
    const result = await this.runScript(SCAN_SCRIPT, [dir, since], 'scan');
    if (result.exitCode === 3) throw new SandboxFileNotFoundError(dir);
    if (result.exitCode === 4) throw new NotDirectoryError(dir);
    // Exit 1: some entries were unreadable; what was listed is kept (as `walk` does).
    if (result.exitCode !== 0 && result.exitCode !== 1) {
      throw new SandboxError(`Cannot list ${dir}: ${result.stderr.toString('utf8').trim() || `exit code ${result.exitCode}`}`);
    }
    const fields = result.stdout.toString('utf8').split('\0');
    const clockMs = Number(fields[0]) * 1000;
    if (!Number.isFinite(clockMs)) throw new SandboxError(`The sandbox sent no clock with its listing of ${dir}`);
    const entries = new Map<string, TreeEntry>();
    const take = (records: InspectedEntry[]) => {
      for (const { links: _links, ...entry } of records) entries.set(entry.path, entry);
    };
    take(pathRecords(fields, 1));
    const listedDirectories = [...entries.values()].filter((entry) => entry.kind === 'directory').map((entry) => entry.path);
    if (since !== '' && listedDirectories.length > 0) {
      const children = await this.runScript(INSPECT_SCRIPT, [dir, '1', ...listedDirectories.map((at) => (at === '' ? '.' : `./${at}`))], 'children');
      if (children.exitCode !== 0) throw new SandboxError(`Cannot list the changed directories of ${dir}: exit code ${children.exitCode}`);
      take(pathRecords(children.stdout.toString('utf8').split('\0')));
    }
    entries.delete('');
    return { clockMs, entries: [...entries.values()], listedDirectories };
  }

  /**
   * `SandboxFiles.watch` from the engine's host: the directory of the container's mount that holds `path` (the
   * workspace volume's `_data`) is watched with inotify there, when this process can read it and it is the directory
   * the sandbox sees at `path` (same inode and ctime). What the events name is then looked at through the helper
   * process, as the sandbox user, in the sandbox's view: nothing on the host is read through a link the agent made.
   * `null` otherwise (a remote engine, a server in a container without the engine's volumes, not root): the caller
   * scans through the helper.
   */
  async watch(path: string, options?: WatchOptions): Promise<StartedWatch | null> {
    const dir = absolute(path);
    const inspector = this.treeInspector(dir);
    const seen = (await inspector.stat([''])).get('');
    if (!seen) throw new SandboxFileNotFoundError(dir);
    const host = await this.hostDirectoryOf(dir).catch(() => null);
    if (!host) return null;
    let here: Stats;
    try {
      here = lstatSync(host);
    } catch {
      // Missing here (another host's engine) or not readable (a server that is not root).
      return null;
    }
    if (!here.isDirectory() || seen.inode !== here.ino || seen.ctimeMs !== here.ctimeMs) return null;
    return watchHostDirectory(host, inspector, options);
  }

  /** Where `dir` (absolute, resolved) lies on the engine's host: under the `Source` of the container's mount that holds it. */
  private async hostDirectoryOf(dir: string): Promise<string | null> {
    this.mounts ??= this.container.inspect().then((info) => (info.Mounts ?? []) as { Type?: string; Source?: string; Destination?: string }[]);
    const mount = (await this.mounts)
      .filter((at) => (at.Type === 'volume' || at.Type === 'bind') && at.Source && at.Destination)
      .sort((a, b) => b.Destination!.length - a.Destination!.length)
      .find((at) => dir === at.Destination || dir.startsWith(`${at.Destination}/`));
    return mount ? `${mount.Source}${dir.slice(mount.Destination!.length)}` : null;
  }

  /** A watch's `TreeInspector` of the sandbox directory `dir`: `INSPECT_SCRIPT` through the helper process. */
  private treeInspector(dir: string): TreeInspector {
    const ask = async (paths: readonly string[], depth: 0 | 1) => {
      const result = await this.runScript(INSPECT_SCRIPT, [dir, String(depth), ...paths.map((at) => (at === '' ? '.' : `./${at}`))], 'inspect');
      if (result.exitCode === 3) throw new SandboxFileNotFoundError(dir);
      if (result.exitCode === 4) throw new NotDirectoryError(dir);
      if (result.exitCode !== 0) throw new SandboxError(`Cannot look at ${dir}: ${result.stderr.toString('utf8').trim() || `exit code ${result.exitCode}`}`);
      return pathRecords(result.stdout.toString('utf8').split('\0'));
    };
    return {
      async stat(paths) {
        return new Map((await ask(paths, 0)).map((entry) => [entry.path, entry]));
      },
      async list(dirs) {
        const asked = new Set(dirs);
        const found = new Map<string, InspectedEntry[]>();
        const records = await ask(dirs, 1);
        // Each directory's own record comes first (depth 0): only a directory gets a listing.
        for (const entry of records) if (asked.has(entry.path) && entry.kind === 'directory') found.set(entry.path, []);
        for (const entry of records) {
          if (asked.has(entry.path)) continue;
          const slash = entry.path.lastIndexOf('/');
          found.get(slash < 0 ? '' : entry.path.slice(0, slash))?.push(entry);
        }
        return found;
      },
    };
  }

  async move(from: string, to: string): Promise<void> {
    const [source, target] = [absolute(from), absolute(to)];
    const result = await execCommand(this.container, ['bash', '-c', MOVE_SCRIPT, 'move', source, target], { user: this.user });
    if (result.exitCode === 3) throw new SandboxFileNotFoundError(source);
    if (result.exitCode === 6) throw new FileExistsError(target);
    if (result.exitCode === 4) throw new NotDirectoryError(posix.dirname(target));
    if (result.exitCode !== 0) throw new SandboxError(`Cannot move ${source} to ${target}: ${result.stderr.toString('utf8').trim()}`);
  }

  async mkdir(path: string): Promise<void> {
    const wanted = absolute(path);
    const result = await execCommand(this.container, ['bash', '-c', MKDIR_SCRIPT, 'mkdir', wanted], { user: this.user });
    if (result.exitCode === 4) throw new NotDirectoryError(wanted);
    if (result.exitCode !== 0) throw new SandboxError(`Cannot create ${wanted}: ${result.stderr.toString('utf8').trim()}`);
  }

  async archive(path: string): Promise<Readable> {
    const wanted = absolute(path);
    const found = await this.resolve(wanted);
    if (!found) throw new SandboxFileNotFoundError(wanted);
    if (kindOf(found.stat.mode) !== 'directory') throw new NotDirectoryError(wanted);
    return (await this.container.getArchive({ path: found.path })) as unknown as Readable;
  }

  async readDir(path: string): Promise<DirEntry[]> {
    const wanted = absolute(path);
    const result = await execCommand(this.container, ['bash', '-c', READ_DIR_SCRIPT, 'read-dir', wanted], { user: this.user });
    if (result.exitCode === 3) throw new SandboxFileNotFoundError(wanted);
    if (result.exitCode === 4) throw new NotDirectoryError(wanted);
    if (result.exitCode !== 0) throw new SandboxError(`Cannot list ${wanted}: ${result.stderr.toString('utf8').trim() || `exit code ${result.exitCode}`}`);
    return result.stdout
      .toString('utf8')
      .split('\0')
      .filter((record) => record !== '')
      .map((record) => {
        const tab = record.indexOf('\t');
        return { kind: record.slice(0, tab) as FileKind, name: record.slice(tab + 1) };
      });
  }

  async uploadDir(hostDir: string, sandboxDir: string): Promise<void> {
    const target = absolute(sandboxDir);
    await this.ensureDirectory(target);
    await this.container.putArchive(packDirectory(hostDir, this.owner) as unknown as NodeJS.ReadableStream, { path: target });
  }

  async downloadDir(sandboxDir: string, hostDir: string): Promise<void> {
    const wanted = absolute(sandboxDir);
    const found = await this.resolve(wanted);
    if (!found) throw new SandboxFileNotFoundError(wanted);
    if (kindOf(found.stat.mode) !== 'directory') throw new NotDirectoryError(wanted);
    // The archive's entries start with the directory's own name; drop it.
    await extractToDirectory(await this.container.getArchive({ path: found.path }), hostDir, 1);
  }

  /** Deletes a file, link or empty directory (any tree with `recursive`) as the sandbox user; nothing happens when it is already gone. */
  async remove(path: string, options: RemoveOptions = {}): Promise<void> {
    const wanted = absolute(path);
    await this.exec(['bash', '-c', REMOVE_SCRIPT, 'remove', options.recursive ? 'r' : '-', wanted], `Cannot remove ${wanted}`);
  }

  /** Creates `path` and its missing parents, owned by the sandbox user; existing directories are left alone. */
  async ensureDirectory(path: string): Promise<void> {
    const missing: string[] = [];
    let current = absolute(path);
    for (;;) {
      const found = await this.resolve(current);
      if (found) {
        if (kindOf(found.stat.mode) !== 'directory') throw new NotDirectoryError(current);
        current = found.path;
        break;
      }
      missing.unshift(posix.basename(current));
      current = posix.dirname(current);
    }
    if (missing.length === 0) return;
    const entries = missing.map((_, i) => ({ name: `${missing.slice(0, i + 1).join('/')}/`, type: 'directory' as const, mode: 0o755 }));
    await this.container.putArchive(await buildTar(entries, this.owner), { path: current });
  }

  /** Runs a helper command as the sandbox user; a non-zero exit throws `SandboxError` with `failure` and stderr. */
  private async exec(argv: string[], failure: string): Promise<void> {
    const result = await execCommand(this.container, argv, { user: this.user });
    if (result.exitCode !== 0) throw new SandboxError(`${failure}: ${result.stderr.toString('utf8').trim() || `exit code ${result.exitCode}`}`);
  }

  /** `FIND_SCRIPT` below `dir`: one level (`depth` 1) or all (0). Exit 1 (some entries unreadable) keeps what was listed. */
  private async find(dir: string, depth: 0 | 1, prune: readonly string[]): Promise<TreeEntry[]> {
    const result = await this.runScript(FIND_SCRIPT, [dir, String(depth), ...prune], 'find');
    if (result.exitCode === 3) throw new SandboxFileNotFoundError(dir);
    if (result.exitCode === 4) throw new NotDirectoryError(dir);
    if (result.exitCode !== 0 && result.exitCode !== 1) {
      throw new SandboxError(`Cannot list ${dir}: ${result.stderr.toString('utf8').trim() || `exit code ${result.exitCode}`}`);
    }
    return parseFind(result.stdout);
  }

  /** Runs a bash script as the sandbox user: through the helper process when there is one (one exec when it fails), else one exec. */
  private runScript(script: string, args: readonly string[], name: string): Promise<ExecResult> {
    const exec = () => execCommand(this.container, ['bash', '-c', script, name, ...args], { user: this.user });
    return this.helper ? this.helper.run(script, args).catch(exec) : exec();
  }

  private async rawStat(path: string): Promise<PathStat | null> {
    try {
      const response = (await this.container.infoArchive({ path })) as NodeJS.ReadableStream & { headers: Record<string, string | undefined> };
      response.resume();
      const header = response.headers['x-docker-container-path-stat'];
      if (!header) throw new SandboxError(`The Docker engine sent no stat for ${path}`);
      return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      if (statusOf(err) === 500) {
        // The engine answers a HEAD's 500 without its reason: ask the kernel, in the sandbox, what a stat of it says.
        const said = await this.statError(path);
        // A component on the way is a file (ENOTDIR): nothing there, as the host driver treats it.
        if (/not a directory/i.test(said)) return null;
        if (/too many (links|levels of symbolic links)/i.test(said)) throw new SymlinkLoopError(path);
        if (/file name too long/i.test(said)) throw new InvalidArgumentError(`A name in the path is longer than the file system allows: ${path}`);
        throw new SandboxError(`The Docker engine cannot stat ${path}`, { cause: err });
      }
      throw err;
    }
  }

  /** What `stat -L` says of `path` as the sandbox user: the kernel's reason for an error, `''` when it succeeds. */
  private async statError(path: string): Promise<string> {
    const result = await execCommand(this.container, ['stat', '-L', '--', path], { user: this.user });
    return result.exitCode === 0 ? '' : result.stderr.toString('utf8');
  }

  /**
   * `lstat` through `stat(1)` as the sandbox user (one exec), for what the engine's archive stat cannot answer: the
   * link's own size, mtime and mode. `null` when it is not there.
   */
  private async statInSandbox(path: string): Promise<PathStat | null> {
    const result = await execCommand(this.container, ['stat', '-c', '%s %Y %f', '--', path], { user: this.user });
    if (result.exitCode !== 0) return null;
    const [size, mtime, rawMode] = result.stdout.toString('utf8').trim().split(' ');
    const unixMode = Number.parseInt(rawMode ?? '0', 16);
    // st_mode's type bits as Go's FileMode bits, which the engine's stats carry.
    const type = unixMode & 0o170000;
    const goType = type === 0o120000 ? MODE_SYMLINK : type === 0o040000 ? MODE_DIR : type === 0o100000 ? 0 : 1 << 26;
    return {
      name: posix.basename(path),
      size: Number(size),
      mode: (goType | (unixMode & 0o777)) >>> 0,
      mtime: new Date(Number(mtime) * 1000).toISOString(),
      linkTarget: '',
    };
  }

  /** Follows symlinks (the engine reports each link's absolute target) up to a limit; `SymlinkLoopError` beyond it. */
  private async resolve(path: string): Promise<{ path: string; stat: PathStat } | null> {
    let current = path;
    for (let hop = 0; hop < MAX_LINKS; hop++) {
      const stat = await this.rawStat(current);
      if (!stat) return null;
      if (!((stat.mode >>> 0) & MODE_SYMLINK) || !stat.linkTarget) return { path: current, stat };
      current = stat.linkTarget;
    }
    throw new SymlinkLoopError(path);
  }
}

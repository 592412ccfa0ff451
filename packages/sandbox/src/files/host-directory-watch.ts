import { isUtf8 } from 'node:buffer';
import { closeSync, constants, type FSWatcher, fstatSync, lstatSync, openSync, readdirSync, readFileSync, type Stats, watch } from 'node:fs';
import { basename, join } from 'node:path';
import type { ChangeWatch, ScanResult, StartedWatch, TreeEntry, WatchedChanges, WatchOptions } from '../sandbox.ts';
import { treeEntryOf } from './host-tree-entry.ts';

/**
 * Most directories one watch holds by default (one inotify watch each; see also `processWatchBudget`): a workspace with
 * more (a `node_modules` tree) is scanned instead.
 */
export const DEFAULT_MAX_WATCHED_DIRECTORIES = 4096;

/**
 * How a watch looks at the tree it watches: the driver's own view (the host's file system for the local driver; the
 * sandbox's, through its helper process, for Docker, so that nothing on the host is ever read through a link the agent
 * made). Paths are relative to the watched root (`''`: the root), `/`-separated.
 */
/** A `TreeEntry` with its hard link count (`lstat`'s `nlink`, find's `%n`). */
export interface InspectedEntry extends TreeEntry {
  links: number;
}

export interface TreeInspector {
  /**
   * `lstat` of each path as a `TreeEntry` with its link count (`links`; the root's `name` is `''`); a path where
   * nothing is is left out.
   */
  stat(paths: readonly string[]): Promise<Map<string, InspectedEntry>>;
  /**
   * The entries directly inside each directory, with their link counts; a path that is no longer a directory (gone,
   * replaced by a file or a link) is left out.
   */
  list(dirs: readonly string[]): Promise<Map<string, InspectedEntry[]>>;
}

/**
 * Events this process has received from all its watches. Node reads every `fs.watch` of the process from one inotify
 * queue (libuv's, per event loop), and libuv drops the kernel's overflow notice: a queue that overflowed can only be
 * told from the number of events read around it (see `changes`).
 */
let delivered = 0;

/** Directories watched by all the watches of this process. */
let watchedTotal = 0;

/** A kernel setting of `/proc/sys/fs/inotify`, or `fallback` when it cannot be read (not Linux, no /proc). */
function inotifySetting(name: string, fallback: number): number {
  try {
    const read = Number(readFileSync(`/proc/sys/fs/inotify/${name}`, 'utf8').trim());
    if (Number.isInteger(read) && read > 0) return read;
  } catch {
    // The kernel's default below.
  }
  return fallback;
}

let queueLimit: number | undefined;
/** The kernel's `fs.inotify.max_queued_events`: more unread events than this are dropped. */
const maxQueuedEvents = () => (queueLimit ??= inotifySetting('max_queued_events', 16384));

let processBudget: number | undefined;
/**
 * Most directories all watches of this process hold together: a quarter of the user's `fs.inotify.max_user_watches`
 * (which every process of the user shares; 8192 on older kernels), at most 16,384, so other programs of the user keep
 * theirs.
 */
const processWatchBudget = () => (processBudget ??= Math.min(16384, Math.floor(inotifySetting('max_user_watches', 8192) / 4)));

/** The entry without its link count, as listings carry it. */
const plain = ({ links: _links, ...entry }: InspectedEntry): TreeEntry => entry;

const byLengthThenBytes = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/**
 * Watches the host directory `hostRoot` (absolute) and every directory under it, one `fs.watch` (inotify watch) each,
 * and lists the tree whole through `inspector` as it adds them (each directory is watched before it is listed, so an
 * entry made meanwhile is listed, reported, or both). Answers `null` when the tree has more than `maxDirectories`
 * directories or a watch cannot be added (`fs.inotify.max_user_watches` reached): the caller scans instead. Throws
 * what `inspector` throws.
 */
export async function watchHostDirectory(hostRoot: string, inspector: TreeInspector, options: WatchOptions = {}): Promise<StartedWatch | null> {
  const clockMs = Date.now();
  const roots = await inspector.stat(['']);
  const root = roots.get('');
  if (root?.kind !== 'directory') return null;
  const watcher = new HostDirectoryWatch(hostRoot, inspector, root.inode, options.maxDirectories ?? DEFAULT_MAX_WATCHED_DIRECTORIES);
  const entries: TreeEntry[] = [];
  const listedDirectories: string[] = [];
  await watcher.watchAndList([root], entries, listedDirectories);
  if (watcher.isLost) {
    watcher.close();
    return null;
  }
  const listing: ScanResult = { clockMs, entries, listedDirectories };
  return { watch: watcher, listing };
}

/**
 * `ChangeWatch` over a host directory. An event names an entry of a watched directory (or the directory itself): both
 * are marked, and `changes()` asks the inspector about what was marked, in one request. A directory seen for the first
 * time (made, moved in, or replaced), one whose watch saw it deleted, moved or changed (a directory made again at the
 * same path may get the same inode number), and one with another mode is watched and then listed, level by level, so
 * nothing made inside it before its watch was added is missed. Files with more than one link are asked about at every call: a
 * write through a link outside the tree notifies only that link's directory. What inotify cannot see (writes through a
 * shared memory mapping) is left to the caller's occasional scan.
 */
/** A directory a `HostDirectoryWatch` watches. */
interface WatchedDirectory {
  /** The inode it was watched as. */
  inode: number;
  /** Its mode as last listed. */
  mode: number;
  watcher?: FSWatcher;
  /**
   * The name libuv gives an event about the watched directory itself (the base name of the path watched): the kernel
   * sends one as it deletes the directory (and drops the watch), moves it, or changes its attributes.
   */
  selfName: string;
  /**
   * Set by such an event of the rename kind: the watch may be gone with its directory, and a directory made at the same
   * path may get the same inode number (file systems reuse them at once): it is watched and listed anew.
   */
  stale: boolean;
}

class HostDirectoryWatch implements ChangeWatch {
  readonly #hostRoot: string;
  readonly #inspector: TreeInspector;
  readonly #rootInode: number;
  readonly #maxDirectories: number;
  /** The device of the root directory (`st_dev`), once it is watched: every directory watched is on it. */
  #rootDevice: number | undefined;
  /** Watched directories by path relative to the root (`''`: the root). */
  readonly #watched = new Map<string, WatchedDirectory>();
  readonly #marked = new Set<string>();
  /** Files with more than one hard link. */
  readonly #linked = new Set<string>();
  /** `delivered` at the previous two calls (or the start). */
  #seen: [number, number] = [delivered, delivered];
  #lost = false;
  #closed = false;

  constructor(hostRoot: string, inspector: TreeInspector, rootInode: number, maxDirectories: number) {
    this.#hostRoot = hostRoot;
    this.#inspector = inspector;
    this.#rootInode = rootInode;
    this.#maxDirectories = maxDirectories;
  }

  get isLost(): boolean {
    return this.#lost;
  }

  /**
   * Watches each directory of `dirs` (their `path`s), lists them, and so on down the tree, one level per inspector
   * request: every entry listed goes to `entries` (the directories of `dirs` themselves do not), every directory listed
   * to `listed`. Gives up (`isLost`) past `maxDirectories` or when a watch cannot be added.
   */
  async watchAndList(dirs: readonly TreeEntry[], entries: TreeEntry[], listed: string[]): Promise<void> {
    let level = dirs;
    while (level.length > 0 && !this.#lost && !this.#closed) {
      for (const dir of level) if (!this.#add(dir)) return;
      const listings = await this.#inspector.list(level.map((dir) => dir.path));
      const next: TreeEntry[] = [];
      for (const [dir, children] of listings) {
        listed.push(dir);
        for (const child of children) {
          entries.push(plain(child));
          this.#noteLinks(child);
          if (child.kind === 'directory') next.push(child);
        }
      }
      level = next;
    }
  }

  #add({ path, inode, mode }: TreeEntry): boolean {
    if (this.#lost) return false;
    const known = this.#watched.get(path);
    if (known?.inode === inode && !known.stale) {
      known.mode = mode;
      return true;
    }
    if (known) this.#unwatch(path);
    if (this.#watched.size >= this.#maxDirectories || watchedTotal >= processWatchBudget()) {
      this.#lost = true;
      return false;
    }
    const watched: WatchedDirectory = { inode, mode, selfName: '', stale: false };
    let watcher: FSWatcher | null;
    try {
      watcher = this.#watchDirectory(path, watched);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Gone, or replaced by a file or a link, since it was listed: as below. Anything else (ENOSPC: the user's inotify
      // watches are used up; EMFILE, EACCES) and the watch cannot go on.
      if (path === '' || (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ELOOP')) {
        this.#lost = true;
        return false;
      }
      watcher = null;
    }
    if (!watcher) {
      // Not the directory listed any more (gone, or replaced since). Its parent is watched (it was listed after its
      // parent's watch was added), so the change has an event there too; it is looked at again at the next call, and
      // a directory found there then is watched and listed like any new one.
      if (path === '') {
        this.#lost = true;
        return false;
      }
      this.#marked.add(path);
      return true;
    }
    watcher.on('error', () => {
      this.#lost = true;
    });
    watched.watcher = watcher;
    this.#watched.set(path, watched);
    watchedTotal++;
    return true;
  }

  /**
   * An `fs.watch` of the directory at `path` when it is still the directory with inode `inode` on the root's device, else
   * `null`. inotify follows links in the path it is given: the directory is opened without following one
   * (`O_NOFOLLOW`), checked, and watched through its descriptor (`/proc/self/fd`), so a link the agent swapped in is
   * never followed to a directory of the host. Throws what `open` and `fs.watch` throw.
   */
  #watchDirectory(path: string, watched: WatchedDirectory): FSWatcher | null {
    const full = path === '' ? this.#hostRoot : join(this.#hostRoot, path);
    const listener = (type: string, name: Buffer | null) => {
      if (type === 'rename' && name?.toString() === watched.selfName) watched.stale = true;
      this.#onEvent(path, watched, name);
    };
    if (process.platform !== 'linux') {
      watched.selfName = basename(full);
      return watch(full, { persistent: false, encoding: 'buffer' }, listener);
    }
    const fd = openSync(full, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      const opened = fstatSync(fd);
      if (path === '') this.#rootDevice ??= opened.dev;
      if (opened.ino !== watched.inode || opened.dev !== this.#rootDevice) return null;
      // Through `/.`: libuv names an event about the directory itself by the base name of the path watched, `.` here,
      // which no entry can be called.
      watched.selfName = '.';
      return watch(`/proc/self/fd/${fd}/.`, { persistent: false, encoding: 'buffer' }, listener);
    } finally {
      closeSync(fd);
    }
  }

  #onEvent(dir: string, watched: WatchedDirectory, name: Buffer | null): void {
    delivered++;
    if (name === null) {
      // Linux always names the entry (libuv): without a name, what changed cannot be told.
      this.#lost = true;
      return;
    }
    // An event about the watched directory itself carries its base name: the directory is marked too.
    this.#marked.add(dir);
    // A name that is not UTF-8 has no path of its own here (listings decode it with U+FFFD in place of each bad byte,
    // as the inspector's `lstat` cannot find): the directory is listed whole instead.
    if (!isUtf8(name)) watched.stale = true;
    else if (name.toString() !== '.') this.#marked.add(dir === '' ? name.toString() : `${dir}/${name.toString()}`);
  }

  #noteLinks(entry: InspectedEntry): void {
    if (entry.kind === 'file' && entry.links > 1) this.#linked.add(entry.path);
    else this.#linked.delete(entry.path);
  }

  /** Stops watching `path` and every directory under it. */
  #unwatch(path: string): void {
    const prefix = `${path}/`;
    for (const [at, watched] of this.#watched) {
      if (at === path || at.startsWith(prefix)) {
        watched.watcher?.close();
        this.#watched.delete(at);
        watchedTotal--;
      }
    }
    for (const at of this.#linked) if (at.startsWith(prefix)) this.#linked.delete(at);
  }

  async changes(): Promise<WatchedChanges | null> {
    if (this.#closed) return null;
    // Events the kernel queued before this call (a command's writes, before its output came back) are read in the
    // event loop's poll phase: let one pass. Called from the poll phase itself (an I/O callback), a first `setImmediate`
    // runs before the next poll phase; the second runs after it.
    for (let pass = 0; pass < 2; pass++) await new Promise((resolve) => setImmediate(resolve));
    // Fewer events than half the queue read since the call before the last: no overflow can have dropped any.
    if (delivered - this.#seen[0] >= maxQueuedEvents() / 2) this.#lost = true;
    this.#seen = [this.#seen[1], delivered];
    const clockMs = Date.now();
    const asked = [...new Set([...this.#marked, ...this.#linked])].sort(byLengthThenBytes);
    this.#marked.clear();
    const found = new Map<string, TreeEntry>();
    const listedDirectories: string[] = [];
    const removedPaths: string[] = [];
    if (!this.#lost && asked.length > 0) {
      try {
        const stats = await this.#inspector.stat(asked);
        const root = stats.get('');
        if (asked[0] === '' && (root?.kind !== 'directory' || root.inode !== this.#rootInode)) this.#lost = true;
        const fresh: TreeEntry[] = [];
        // Asked paths that are gone or no longer directories: nothing is under them (an `lstat` of a path under one
        // that became a link looks through the link).
        const notDirectories = new Set<string>();
        const underNotDirectory = (path: string) => {
          for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
            if (notDirectories.has(path.slice(0, slash))) return true;
          }
          return false;
        };
        const isUnderFresh = (path: string) => fresh.some((dir) => dir.path === '' || path.startsWith(`${dir.path}/`));
        // The root itself, when it is to be listed whole again (a name in it that is not UTF-8).
        if (root && !this.#lost && this.#watched.get('')?.stale) fresh.push(root);
        for (const path of asked) {
          if (path === '' || this.#lost) continue;
          const entry = underNotDirectory(path) ? undefined : stats.get(path);
          if (entry?.kind !== 'directory') notDirectories.add(path);
          if (!entry) {
            // Under a directory removed just before: already gone with it.
            if (!removedPaths.some((removed) => path.startsWith(`${removed}/`))) removedPaths.push(path);
            this.#unwatch(path);
            this.#linked.delete(path);
            continue;
          }
          found.set(path, plain(entry));
          this.#noteLinks(entry);
          const watched = this.#watched.get(path);
          if (entry.kind === 'directory') {
            // New here (made, moved in, or a directory replaced): watched, then listed whole, unless under another one.
            // The same directory with another mode is listed again too: what it holds may have become readable.
            const isNew = watched?.inode !== entry.inode || watched.mode !== entry.mode || watched.stale;
            if (isNew && !isUnderFresh(path)) fresh.push(entry);
          } else if (watched) {
            this.#unwatch(path);
          }
        }
        // The directories that hold a new one are watched already: only it and what is under it are new.
        const walked: TreeEntry[] = [];
        if (!this.#lost && fresh.length > 0) await this.watchAndList(fresh, walked, listedDirectories);
        for (const entry of walked) found.set(entry.path, entry);
      } catch {
        this.#lost = true;
      }
    }
    if (this.#lost) {
      this.close();
      return null;
    }
    return { clockMs, entries: [...found.values()], listedDirectories, removedPaths };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { watcher } of this.#watched.values()) watcher?.close();
    watchedTotal -= this.#watched.size;
    this.#watched.clear();
    this.#marked.clear();
    this.#linked.clear();
  }
}

/** `lstat`, or `null` when nothing is there (a missing entry, or a parent that is no longer a directory). */
function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/** `TreeInspector` of a tree on this host (the local driver): `lstat` and `readdir` here. */
export function hostTreeInspector(hostRoot: string): TreeInspector {
  const full = (path: string) => (path === '' ? hostRoot : join(hostRoot, path));
  const inspect = (path: string, name: string, s: Stats): InspectedEntry => ({ ...treeEntryOf(full(path), path, name, s), links: s.nlink });
  return {
    async stat(paths) {
      const found = new Map<string, InspectedEntry>();
      for (const path of paths) {
        const s = lstatOrNull(full(path));
        if (s) found.set(path, inspect(path, path.slice(path.lastIndexOf('/') + 1), s));
      }
      return found;
    },
    async list(dirs) {
      const found = new Map<string, InspectedEntry[]>();
      for (const dir of dirs) {
        if (!lstatOrNull(full(dir))?.isDirectory()) continue;
        let names: string[];
        try {
          names = readdirSync(full(dir));
        } catch {
          continue;
        }
        const children: InspectedEntry[] = [];
        for (const name of names) {
          const path = dir === '' ? name : `${dir}/${name}`;
          const s = lstatOrNull(full(path));
          if (s) children.push(inspect(path, name, s));
        }
        found.set(dir, children);
      }
      return found;
    },
  };
}

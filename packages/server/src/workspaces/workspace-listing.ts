import { posix } from 'node:path';
import type { ChangeWatch, SandboxFiles, ScanResult, TreeEntry, WatchedChanges } from '@metisai/sandbox';

/** A whole listing of a workspace (every entry, nothing pruned), kept up to date from step to step by `refreshListing`. */
export interface WorkspaceListing {
  /** The workspace root, resolved (`realpath`). */
  root: string;
  /** The sandbox's clock (milliseconds since the epoch) as the scan that brought the listing up to date started. */
  clockMs: number;
  /** Every entry under `root`, by path relative to it. */
  entries: Map<string, TreeEntry>;
  /**
   * Changes only when an entry did (made, removed, or any of its stat data): two listings with the same version list
   * the same entries. Unique within the process.
   */
  version: number;
  /** The change notifications that keep it up to date, when the sandbox's files offer them (`SandboxFiles.watch`). */
  watch?: ChangeWatch;
  /** The clock of the last scan of the tree (whole, or of changes): where the next checking scan looks from. */
  scannedMs: number;
  /** Refreshes through `watch` since that scan. */
  watchedRefreshes: number;
}

/**
 * A listing kept up to date by change notifications is checked by a scan of changes every this many refreshes: what
 * inotify cannot see (a write through a shared memory mapping) is found within that many steps.
 */
export const CHECK_SCAN_EVERY = 20;

let lastVersion = 0;
const nextVersion = () => ++lastVersion;

/**
 * How far before the previous scan's clock the next scan looks for changes: the kernel stamps `ctime` from a coarse
 * clock, up to one tick (1–10 ms) behind the clock a scan reads, so a change made just after a scan started can carry
 * an earlier time. Ten ticks of the slowest kernel clock; a change listed twice costs only its stat data. (File systems
 * that keep whole seconds, as FAT or ext4 with 128-byte inodes do, are not covered.)
 */
export const SCAN_MARGIN_MS = 100;

const parentOf = (path: string) => {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
};

/** Whether `path` is one of `paths` or lies under one of them. */
function isUnder(path: string, paths: ReadonlySet<string>): boolean {
  for (let at = path; ; at = parentOf(at)) {
    if (paths.has(at)) return true;
    if (at === '') return false;
  }
}

/** Whether two listings of one entry say the same (kind, size, times, mode, inode, link target). */
const sameStat = (a: TreeEntry, b: TreeEntry) =>
  a.kind === b.kind &&
  a.sizeBytes === b.sizeBytes &&
  a.mtimeMs === b.mtimeMs &&
  a.ctimeMs === b.ctimeMs &&
  a.mode === b.mode &&
  a.inode === b.inode &&
  a.linkTarget === b.linkTarget;

/**
 * `previous` (a whole listing) with what a scan of changes (`SandboxFiles.scan` with `changedAfterMs`, or a
 * `ChangeWatch`'s changes) found applied: entries gone from a directory the scan listed whole are removed with everything
 * under them, as are `removedPaths`, a directory replaced by something else (another kind or inode) loses what was under
 * it, and every scanned entry is set. `unknownDirectories`: directories the scan did not list whole and `previous` did
 * not hold as the same directory (moved in, with entries whose `ctime` is older): the caller lists them whole.
 * `changed`: whether any entry was added, removed or listed with other stat data. Pure.
 */
export function applyScan(
  previous: ReadonlyMap<string, TreeEntry>,
  scan: Pick<ScanResult, 'entries' | 'listedDirectories'> & Partial<Pick<WatchedChanges, 'removedPaths'>>,
): {
  entries: Map<string, TreeEntry>;
  unknownDirectories: string[];
  changed: boolean;
} {
  const listed = new Set(scan.listedDirectories);
  const scanned = new Map(scan.entries.map((entry) => [entry.path, entry]));
  const dropped = new Set<string>();
  for (const path of scan.removedPaths ?? []) if (!scanned.has(path)) dropped.add(path);
  for (const path of previous.keys()) if (!scanned.has(path) && listed.has(parentOf(path))) dropped.add(path);
  for (const entry of scan.entries) {
    const before = previous.get(entry.path);
    if (before?.kind === 'directory' && (entry.kind !== 'directory' || before.inode !== entry.inode)) dropped.add(entry.path);
  }
  let changed = false;
  let entries: Map<string, TreeEntry>;
  if (dropped.size === 0) entries = new Map(previous);
  else {
    entries = new Map();
    for (const [path, entry] of previous) {
      if (!isUnder(path, dropped)) entries.set(path, entry);
      else changed = true;
    }
  }
  const unknown = new Set<string>();
  for (const entry of scan.entries) {
    const was = entries.get(entry.path);
    if (!was || !sameStat(was, entry)) changed = true;
    entries.set(entry.path, entry);
    if (entry.kind !== 'directory' || listed.has(entry.path)) continue;
    const before = previous.get(entry.path);
    if (before?.kind !== 'directory' || before.inode !== entry.inode || dropped.has(entry.path)) unknown.add(entry.path);
  }
  // A directory under another unknown one comes with that one's listing.
  return { entries, unknownDirectories: [...unknown].filter((path) => !isUnderOther(path, unknown)), changed };
}

/** Whether a proper ancestor of `path` is in `paths`. */
function isUnderOther(path: string, paths: ReadonlySet<string>): boolean {
  for (let at = parentOf(path); at !== ''; at = parentOf(at)) if (paths.has(at)) return true;
  return false;
}

const listingOf = (root: string, scan: ScanResult, watch?: ChangeWatch): WorkspaceListing => ({
  root,
  clockMs: scan.clockMs,
  entries: new Map(scan.entries.map((entry) => [entry.path, entry])),
  version: nextVersion(),
  ...(watch ? { watch } : {}),
  scannedMs: scan.clockMs,
  watchedRefreshes: 0,
});

/**
 * `listing` with `changes` applied (see `applyScan`), the directories they did not account for listed whole through
 * `files`; its `version` moves only when an entry changed.
 */
async function applyChanges(
  files: SandboxFiles,
  listing: WorkspaceListing,
  changes: Pick<ScanResult, 'clockMs' | 'entries' | 'listedDirectories'> & Partial<Pick<WatchedChanges, 'removedPaths'>>,
): Promise<WorkspaceListing> {
  // Nothing reported (a watched step that changed nothing): the same entries, not a copy of them.
  if (changes.entries.length === 0 && changes.listedDirectories.length === 0 && !changes.removedPaths?.length) {
    return { ...listing, clockMs: changes.clockMs };
  }
  const { entries, unknownDirectories, changed } = applyScan(listing.entries, changes);
  for (const dir of unknownDirectories) {
    const inside = await files.scan(posix.join(listing.root, dir));
    for (const entry of inside.entries) {
      const path = `${dir}/${entry.path}`;
      entries.set(path, { ...entry, path });
    }
  }
  const moved = changed || unknownDirectories.length > 0;
  return { ...listing, clockMs: changes.clockMs, entries, version: moved ? nextVersion() : listing.version };
}

/** `listing` brought up to date by a scan of what changed since `sinceMs` (less `marginMs`). Throws what `scan` throws. */
async function scanChanges(files: SandboxFiles, listing: WorkspaceListing, sinceMs: number, marginMs: number): Promise<WorkspaceListing> {
  const scan = await files.scan(listing.root, { changedAfterMs: sinceMs - marginMs });
  // The sandbox's clock went back: changes since then cannot be told by their time.
  if (scan.clockMs < listing.clockMs) throw new Error('the sandbox clock went back');
  return { ...(await applyChanges(files, listing, scan)), scannedMs: scan.clockMs, watchedRefreshes: 0 };
}

/**
 * The workspace at `root` listed whole, from `previous` brought up to date:
 * - through its change notifications (`previous.watch`): only what the kernel said changed is looked at, nothing when
 *   nothing did; every `CHECK_SCAN_EVERY` refreshes also a scan of what changed since the last scan, by `ctime`;
 * - else by a scan of what changed since its clock (less `marginMs`, default `SCAN_MARGIN_MS`): one request to the
 *   sandbox that walks the tree and sends only what changed, plus one per directory moved in.
 * Without `previous` (a run's first listing, after a server restart), when it was of another root, when its watch lost
 * track (it is closed; the next refreshes scan), when the sandbox's clock went back, or when the scan of changes failed:
 * the tree is listed whole, and watched from then on when the sandbox's files can (`SandboxFiles.watch`, unless
 * `watch: false`). Throws what `scan` throws for `root`.
 */
export async function refreshListing(
  files: SandboxFiles,
  root: string,
  previous?: WorkspaceListing,
  options: { marginMs?: number; watch?: boolean } = {},
): Promise<WorkspaceListing> {
  const marginMs = options.marginMs ?? SCAN_MARGIN_MS;
  if (previous && previous.root === root) {
    try {
      if (previous.watch) {
        const changes = await previous.watch.changes().catch(() => null);
        if (changes) {
          const listing = await applyChanges(files, { ...previous, watchedRefreshes: previous.watchedRefreshes + 1 }, changes);
          return listing.watchedRefreshes >= CHECK_SCAN_EVERY ? await scanChanges(files, listing, previous.scannedMs, marginMs) : listing;
        }
        // Lost track: right as of its clock, so a scan of changes since then brings it up to date.
        previous.watch.close();
        const { watch: _lost, ...unwatched } = previous;
        return await scanChanges(files, unwatched, previous.clockMs, marginMs);
      }
      return await scanChanges(files, previous, previous.clockMs, marginMs);
    } catch {
      // A whole listing below, which throws what the sandbox says.
      previous.watch?.close();
    }
  } else previous?.watch?.close();
  if (options.watch !== false && files.watch) {
    const started = await files.watch(root).catch(() => null);
    if (started) return listingOf(root, started.listing, started.watch);
  }
  return listingOf(root, await files.scan(root));
}

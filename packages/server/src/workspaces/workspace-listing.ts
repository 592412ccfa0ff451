import { posix } from 'node:path';
import type { SandboxFiles, ScanResult, TreeEntry } from '@metisai/sandbox';

/** A whole listing of a workspace (every entry, nothing pruned), kept up to date from step to step by `refreshListing`. */
export interface WorkspaceListing {
  /** The workspace root, resolved (`realpath`). */
  root: string;
  /** The sandbox's clock (milliseconds since the epoch) as the scan that brought the listing up to date started. */
  clockMs: number;
  /** Every entry under `root`, by path relative to it. */
  entries: Map<string, TreeEntry>;
}

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

/**
 * `previous` (a whole listing) with what a scan of changes (`SandboxFiles.scan` with `changedAfterMs`) found applied:
 * entries gone from a directory the scan listed whole are removed with everything under them, a directory replaced by
 * something else (another kind or inode) loses what was under it, and every scanned entry is set. `unknownDirectories`:
 * directories the scan did not list whole and `previous` did not hold as the same directory (moved in, with entries
 * whose `ctime` is older): the caller lists them whole. Pure.
 */
export function applyScan(
  previous: ReadonlyMap<string, TreeEntry>,
  scan: Pick<ScanResult, 'entries' | 'listedDirectories'>,
): {
  entries: Map<string, TreeEntry>;
  unknownDirectories: string[];
} {
  const listed = new Set(scan.listedDirectories);
  const scanned = new Map(scan.entries.map((entry) => [entry.path, entry]));
  const dropped = new Set<string>();
  for (const path of previous.keys()) if (!scanned.has(path) && listed.has(parentOf(path))) dropped.add(path);
  for (const entry of scan.entries) {
    const before = previous.get(entry.path);
    if (before?.kind === 'directory' && (entry.kind !== 'directory' || before.inode !== entry.inode)) dropped.add(entry.path);
  }
  const entries = new Map<string, TreeEntry>();
  for (const [path, entry] of previous) if (dropped.size === 0 || !isUnder(path, dropped)) entries.set(path, entry);
  const unknown = new Set<string>();
  for (const entry of scan.entries) {
    entries.set(entry.path, entry);
    if (entry.kind !== 'directory' || listed.has(entry.path)) continue;
    const before = previous.get(entry.path);
    if (before?.kind !== 'directory' || before.inode !== entry.inode || dropped.has(entry.path)) unknown.add(entry.path);
  }
  // A directory under another unknown one comes with that one's listing.
  return { entries, unknownDirectories: [...unknown].filter((path) => !isUnderOther(path, unknown)) };
}

/** Whether a proper ancestor of `path` is in `paths`. */
function isUnderOther(path: string, paths: ReadonlySet<string>): boolean {
  for (let at = parentOf(path); at !== ''; at = parentOf(at)) if (paths.has(at)) return true;
  return false;
}

const listingOf = (root: string, scan: ScanResult): WorkspaceListing => ({
  root,
  clockMs: scan.clockMs,
  entries: new Map(scan.entries.map((entry) => [entry.path, entry])),
});

/**
 * The workspace at `root` listed whole, from `previous` and a scan of what changed since its clock (less
 * `marginMs`, default `SCAN_MARGIN_MS`): one request to the sandbox that walks the tree and sends only what changed, plus one per
 * directory moved in. A whole scan instead when there is no `previous` (a run's first listing, after a server restart),
 * it was of another root, the sandbox's clock went back, or the scan of changes failed. Throws what `scan` throws for
 * `root`.
 */
export async function refreshListing(
  files: SandboxFiles,
  root: string,
  previous?: WorkspaceListing,
  options: { marginMs?: number } = {},
): Promise<WorkspaceListing> {
  if (previous && previous.root === root) {
    try {
      const scan = await files.scan(root, { changedAfterMs: previous.clockMs - (options.marginMs ?? SCAN_MARGIN_MS) });
      if (scan.clockMs >= previous.clockMs) {
        const { entries, unknownDirectories } = applyScan(previous.entries, scan);
        for (const dir of unknownDirectories) {
          const inside = await files.scan(posix.join(root, dir));
          for (const entry of inside.entries) {
            const path = `${dir}/${entry.path}`;
            entries.set(path, { ...entry, path });
          }
        }
        return { root, clockMs: scan.clockMs, entries };
      }
    } catch {
      // A whole scan below, which throws what the sandbox says.
    }
  }
  return listingOf(root, await files.scan(root));
}

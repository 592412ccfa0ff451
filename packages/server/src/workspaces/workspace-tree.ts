import { posix } from 'node:path';
import type { EntryKind, SandboxFiles, TreeEntry } from '@metisai/sandbox';
import type { ChangedFile } from '@metisai/sdk/schemas';
import ignore, { type Ignore } from 'ignore';

/** One file of a workspace as `workspaceTree` lists it (directories are not listed). */
export interface TreeFile {
  /** Relative to the workspace root. */
  path: string;
  kind: Exclude<EntryKind, 'directory'>;
  sizeBytes: number;
  mtimeMs: number;
  /** Status change time (see `TreeEntry.ctimeMs`): a rewrite that keeps size and mtime (`touch -d`, `cp -p`) still moves it. */
  ctimeMs: number;
  /** Permission bits. */
  mode: number;
  /** Symlinks: the target as stored in the link. */
  linkTarget?: string;
}

/** `.gitignore` files longer than this are not read (their rules do not apply). */
const MAX_GITIGNORE_BYTES = 1024 * 1024;

/** A `.gitignore` read before, kept while its stat data stay the same (a bash step does not read it again). */
interface CachedRules {
  sizeBytes: number;
  mtimeMs: number;
  inode: number;
  rules: Ignore | null;
}

/** `.gitignore` rules read per `SandboxFiles` and path (what `workspaceTreeOf` reuses across steps). */
const ruleCache = new WeakMap<SandboxFiles, Map<string, CachedRules>>();

/** Whether `entry` lies in a `.git` directory, or is one (what `walk(root, { prune: ['.git'] })` leaves out). */
const inGitDir = (entry: TreeEntry): boolean =>
  (entry.kind === 'directory' && entry.name === '.git') || entry.path.startsWith('.git/') || entry.path.includes('/.git/');

/**
 * The files under `root` that count as the workspace's content, by path: `.git` directories are not entered, and what
 * `.gitignore` files ignore is left out, as git does for untracked files (rules of deeper files override shallower
 * ones, `!` re-includes, nothing under an ignored directory comes back). Directories are not listed.
 */
export async function workspaceTree(files: SandboxFiles, root: string): Promise<Map<string, TreeFile>> {
  return workspaceTreeOf(files, root, await files.walk(root, { prune: ['.git'] }));
}

/**
 * `workspaceTree` from a listing of `root` taken already (`walk`, pruned or not: `.git` directories are left out here
 * too), so that one listing serves both a step's changed files and its workspace snapshot. `.gitignore` files are read
 * only when their stat data changed since this `files` last read them.
 */
export async function workspaceTreeOf(files: SandboxFiles, root: string, listing: readonly TreeEntry[]): Promise<Map<string, TreeFile>> {
  const entries = listing.filter((entry) => !inGitDir(entry)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let cache = ruleCache.get(files);
  if (!cache) {
    cache = new Map();
    ruleCache.set(files, cache);
  }
  const rules = new Map<string, Ignore>();
  for (const entry of entries) {
    if (entry.name !== '.gitignore' || entry.kind !== 'file' || entry.sizeBytes > MAX_GITIGNORE_BYTES) continue;
    const key = posix.join(root, entry.path);
    let cached = cache.get(key);
    if (!cached || cached.sizeBytes !== entry.sizeBytes || cached.mtimeMs !== entry.mtimeMs || cached.inode !== entry.inode) {
      const text = await files.readFile(key).then(
        (bytes) => new TextDecoder().decode(bytes),
        () => null,
      );
      cached = { sizeBytes: entry.sizeBytes, mtimeMs: entry.mtimeMs, inode: entry.inode, rules: text === null ? null : ignore().add(text) };
      cache.set(key, cached);
    }
    if (cached.rules) rules.set(posix.dirname(entry.path) === '.' ? '' : posix.dirname(entry.path), cached.rules);
  }
  const ignoredDirs = new Set<string>();
  const tree = new Map<string, TreeFile>();
  for (const entry of entries) {
    const parent = posix.dirname(entry.path) === '.' ? '' : posix.dirname(entry.path);
    const isIgnored = ignoredDirs.has(parent) || matches(rules, entry.path, entry.kind === 'directory');
    if (entry.kind === 'directory') {
      if (isIgnored) ignoredDirs.add(entry.path);
    } else if (!isIgnored) {
      tree.set(entry.path, {
        path: entry.path,
        kind: entry.kind,
        sizeBytes: entry.sizeBytes,
        mtimeMs: entry.mtimeMs,
        ctimeMs: entry.ctimeMs,
        mode: entry.mode,
        ...(entry.linkTarget === undefined ? {} : { linkTarget: entry.linkTarget }),
      });
    }
  }
  return tree;
}

/** Applies the rules of every `.gitignore` above `path`, shallowest first (a deeper file's verdict wins). */
function matches(rules: Map<string, Ignore>, path: string, isDirectory: boolean): boolean {
  let isIgnored = false;
  for (const [dir, rule] of rules) {
    if (dir !== '' && !path.startsWith(`${dir}/`)) continue;
    const relative = dir === '' ? path : path.slice(dir.length + 1);
    const verdict = rule.test(isDirectory ? `${relative}/` : relative);
    if (verdict.ignored) isIgnored = true;
    else if (verdict.unignored) isIgnored = false;
  }
  return isIgnored;
}

/** Whether a file is listed the same twice: kind, size, times (mtime and ctime), permission bits, link target. */
const sameFile = (a: TreeFile, b: TreeFile) =>
  a.kind === b.kind && a.sizeBytes === b.sizeBytes && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.mode === b.mode && a.linkTarget === b.linkTarget;

/**
 * What changed between two listings of one workspace, sorted by path: paths only in `after` are `added`, only in
 * `before` `deleted`, in both with another kind, size, mtime, ctime, permission bits or link target `modified`.
 */
export function compareTrees(before: ReadonlyMap<string, TreeFile>, after: ReadonlyMap<string, TreeFile>): ChangedFile[] {
  const changed: ChangedFile[] = [];
  for (const [path, now] of after) {
    const then = before.get(path);
    if (!then) changed.push({ path, status: 'added' });
    else if (!sameFile(then, now)) changed.push({ path, status: 'modified' });
  }
  for (const path of before.keys()) if (!after.has(path)) changed.push({ path, status: 'deleted' });
  return changed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

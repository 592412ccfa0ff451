import { posix } from 'node:path';
import type { EntryKind, SandboxFiles } from '@metisai/sandbox';
import type { ChangedFile } from '@metisai/sdk/schemas';
import ignore, { type Ignore } from 'ignore';

/** One file of a workspace as `workspaceTree` lists it (directories are not listed). */
export interface TreeFile {
  /** Relative to the workspace root. */
  path: string;
  kind: Exclude<EntryKind, 'directory'>;
  sizeBytes: number;
  mtimeMs: number;
}

/** `.gitignore` files longer than this are not read (their rules do not apply). */
const MAX_GITIGNORE_BYTES = 1024 * 1024;

/**
 * The files under `root` that count as the workspace's content, by path: `.git` directories are not entered, and what
 * `.gitignore` files ignore is left out, as git does for untracked files (rules of deeper files override shallower
 * ones, `!` re-includes, nothing under an ignored directory comes back). Directories are not listed.
 */
export async function workspaceTree(files: SandboxFiles, root: string): Promise<Map<string, TreeFile>> {
  const entries = (await files.walk(root, { prune: ['.git'] })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const rules = new Map<string, Ignore>();
  for (const entry of entries) {
    if (entry.name !== '.gitignore' || entry.kind !== 'file' || entry.sizeBytes > MAX_GITIGNORE_BYTES) continue;
    const text = await files.readFile(posix.join(root, entry.path)).then(
      (bytes) => new TextDecoder().decode(bytes),
      () => null,
    );
    if (text !== null) rules.set(posix.dirname(entry.path) === '.' ? '' : posix.dirname(entry.path), ignore().add(text));
  }
  const ignoredDirs = new Set<string>();
  const tree = new Map<string, TreeFile>();
  for (const entry of entries) {
    const parent = posix.dirname(entry.path) === '.' ? '' : posix.dirname(entry.path);
    const isIgnored = ignoredDirs.has(parent) || matches(rules, entry.path, entry.kind === 'directory');
    if (entry.kind === 'directory') {
      if (isIgnored) ignoredDirs.add(entry.path);
    } else if (!isIgnored) {
      tree.set(entry.path, { path: entry.path, kind: entry.kind, sizeBytes: entry.sizeBytes, mtimeMs: entry.mtimeMs });
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

/**
 * What changed between two listings of one workspace, sorted by path: paths only in `after` are `added`, only in
 * `before` `deleted`, in both with another kind, size or modification time `modified`.
 */
export function compareTrees(before: ReadonlyMap<string, TreeFile>, after: ReadonlyMap<string, TreeFile>): ChangedFile[] {
  const changed: ChangedFile[] = [];
  for (const [path, now] of after) {
    const then = before.get(path);
    if (!then) changed.push({ path, status: 'added' });
    else if (then.kind !== now.kind || then.sizeBytes !== now.sizeBytes || then.mtimeMs !== now.mtimeMs) changed.push({ path, status: 'modified' });
  }
  for (const path of before.keys()) if (!after.has(path)) changed.push({ path, status: 'deleted' });
  return changed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

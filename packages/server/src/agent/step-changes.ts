import { posix } from 'node:path';
import type { EditorParams, Sandbox, TreeEntry } from '@metisai/sandbox';
import type { ChangedFile } from '@metisai/sdk/schemas';
import { isBinary, unifiedDiff } from '../workspaces/unified-diff.ts';
import { compareTrees, type TreeFile, workspaceTree, workspaceTreeOf } from '../workspaces/workspace-tree.ts';

/** What a step's observation carries about the files it changed (stored with it). */
export interface StepChanges {
  /** A `str_replace_editor` edit: its unified diff. */
  diff?: string;
  /** An `execute_bash` step: the files it added, modified or deleted (at most `MAX_CHANGED_FILES`). */
  changedFiles?: ChangedFile[];
  changedFilesTruncated?: boolean;
}

/** Editor files larger than this get no diff (the editor itself edits up to 10 MiB). */
const MAX_DIFF_FILE_BYTES = 1024 * 1024;
/** Most changed files an observation lists. */
export const MAX_CHANGED_FILES = 100;

const EDITS: ReadonlySet<EditorParams['command']> = new Set(['create', 'str_replace', 'insert', 'undo_edit']);

/** The workspace listing each run last saw (what its next bash step is compared against), per run. */
const lastSeen = new WeakMap<object, { root: string; tree: Map<string, TreeFile> }>();

/** A whole listing of a workspace (`walk`, nothing pruned) as a bash step took it, for that step's snapshot. */
export interface StepListing {
  /** The workspace root, resolved (`realpath`). */
  root: string;
  entries: readonly TreeEntry[];
}

/** The listing the run's last bash step took, until `takeStepListing` hands it on. */
const stepListings = new WeakMap<object, StepListing>();

/**
 * The listing of the workspace the run's last bash step took (`runWithChangedFiles`), once: the step's snapshot reads it
 * instead of listing the workspace again. `undefined` after an editor step, or when that listing failed.
 */
export function takeStepListing(run: object): StepListing | undefined {
  const listing = stepListings.get(run);
  stepListings.delete(run);
  return listing;
}

/** A path for diff headers: relative to the workspace when inside it, else absolute without its leading `/`. */
const diffPath = (root: string, path: string) => (path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path.replace(/^\/+/, ''));

/** The text of a file for a diff: `null` when missing; `undefined` when it cannot be diffed (too large, binary, unreadable). */
async function textOf(sandbox: Sandbox, path: string): Promise<string | null | undefined> {
  const stat = await sandbox.files.stat(path).catch(() => undefined);
  if (stat === undefined) return undefined;
  if (stat === null) return null;
  if (stat.kind !== 'file' || stat.sizeBytes > MAX_DIFF_FILE_BYTES) return undefined;
  const bytes = await sandbox.files.readFile(path).catch(() => undefined);
  if (!bytes || isBinary(bytes)) return undefined;
  return new TextDecoder().decode(bytes);
}

/**
 * Runs a `str_replace_editor` call and, for an edit that succeeded, the unified diff of the file from before to after
 * (read through the sandbox's files). The run's last workspace listing learns the edited file, so the next bash step
 * does not report it. Views, refused edits and files that cannot be diffed get no diff; the edit's own result is never
 * affected by a failure here.
 */
export async function editWithDiff<T extends { content: string }>(
  run: object,
  sandbox: Sandbox,
  params: EditorParams,
  edit: () => Promise<T>,
): Promise<T & StepChanges> {
  const path = typeof params.path === 'string' && params.path.startsWith('/') ? posix.normalize(params.path) : null;
  if (!path || !EDITS.has(params.command)) return edit();
  const before = await textOf(sandbox, path);
  const result = await edit();
  // The tool answers a refused edit (nothing changed) with an `ERROR:` text.
  if (result.content.startsWith('ERROR:')) return result;
  try {
    const seen = lastSeen.get(run);
    const root = seen?.root ?? (await sandbox.files.realpath(sandbox.workdir));
    if (seen && path.startsWith(`${root}/`)) {
      const relative = path.slice(root.length + 1);
      const info = await sandbox.files.lstat(path);
      if (info && info.kind !== 'directory') seen.tree.set(relative, { path: relative, kind: info.kind, sizeBytes: info.sizeBytes, mtimeMs: info.mtimeMs });
      else seen.tree.delete(relative);
    }
    const after = await textOf(sandbox, path);
    if (before === undefined || after === undefined) return result;
    const { diff } = unifiedDiff(diffPath(root, path), before, after);
    return diff ? { ...result, diff } : result;
  } catch {
    return result;
  }
}

/**
 * Lists the workspace as a run starts (before its first LLM call): what its first bash step is compared against.
 * Never throws; without it, the first bash step reports no files.
 */
export async function watchWorkspace(run: object, sandbox: Sandbox): Promise<void> {
  try {
    const root = await sandbox.files.realpath(sandbox.workdir);
    lastSeen.set(run, { root, tree: await workspaceTree(sandbox.files, root) });
  } catch {
    lastSeen.delete(run);
  }
}

/**
 * Runs an `execute_bash` call and lists the workspace files that changed meanwhile, by comparing listings (path, size,
 * modification time; `.git/` and ignored files left out; the listing after the step is kept for its snapshot,
 * `takeStepListing`): the one taken as the run started (`watchWorkspace`) or after
 * the previous bash step (updated by editor edits), and one taken after this step. Nothing is listed between the
 * action and its command, so a stop is never kept waiting; files changed between steps by something else (an upload,
 * a background job) count for the next bash step.
 */
export async function runWithChangedFiles<T>(run: object, sandbox: Sandbox, execute: () => Promise<T>): Promise<T & StepChanges> {
  stepListings.delete(run);
  const result = await execute();
  const seen = lastSeen.get(run);
  try {
    const root = seen?.root ?? (await sandbox.files.realpath(sandbox.workdir));
    // One whole listing: the changed files come from it here, and the step's snapshot from it next (`takeStepListing`).
    const entries = await sandbox.files.walk(root);
    stepListings.set(run, { root, entries });
    const tree = await workspaceTreeOf(sandbox.files, root, entries);
    lastSeen.set(run, { root, tree });
    const changed = seen ? compareTrees(seen.tree, tree) : [];
    if (changed.length === 0) return result as T & StepChanges;
    return {
      ...result,
      changedFiles: changed.slice(0, MAX_CHANGED_FILES),
      ...(changed.length > MAX_CHANGED_FILES ? { changedFilesTruncated: true } : {}),
    };
  } catch {
    return result as T & StepChanges;
  }
}

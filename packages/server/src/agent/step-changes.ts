import { posix } from 'node:path';
import type { EditorParams, Sandbox, TreeEntry } from '@metisai/sandbox';
import type { ChangedFile } from '@metisai/sdk/schemas';
import { isBinary, unifiedDiff } from '../workspaces/unified-diff.ts';
import { refreshListing, type WorkspaceListing } from '../workspaces/workspace-listing.ts';
import { compareTrees, type TreeFile, workspaceTreeOf } from '../workspaces/workspace-tree.ts';

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

/**
 * What each run last saw of its workspace: the whole listing (kept up to date step by step, see `refreshListing`) and
 * its files as a bash step's changed files are compared (`workspaceTreeOf`), per run.
 */
const lastSeen = new WeakMap<object, { sandboxId: string; listing: WorkspaceListing; list: readonly TreeEntry[]; tree: Map<string, TreeFile> }>();

/** A whole listing of a workspace (nothing pruned) as a step took it, for that step's snapshot. */
export interface StepListing {
  /** The workspace root, resolved (`realpath`). */
  root: string;
  entries: readonly TreeEntry[];
  /** The sandbox's clock as the listing was brought up to date (milliseconds since the epoch). */
  clockMs: number;
  /** The same for two listings with the same entries (see `WorkspaceListing.version`). */
  version: number;
}

/** The listing the run's last file-changing step took, until `takeStepListing` hands it on. */
const stepListings = new WeakMap<object, StepListing>();

/**
 * The listing of the workspace the run's last bash or editor step took (`runWithChangedFiles`, `editWithDiff`), once:
 * the step's snapshot reads it instead of listing the workspace again. `undefined` when that listing failed.
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
 * Brings the run's listing of its workspace up to date (a scan of what changed since the last one, or a whole scan when
 * there is none), keeps it for the step's snapshot (`takeStepListing`), and answers the files bash steps compare, before
 * and now (`before` is `undefined` when the run had no listing yet).
 */
async function relist(run: object, sandbox: Sandbox): Promise<{ before: Map<string, TreeFile> | undefined; after: Map<string, TreeFile> }> {
  const seen = lastSeen.get(run);
  const root = seen?.listing.root ?? (await sandbox.files.realpath(sandbox.workdir));
  // Another sandbox (its own files, perhaps its own clock): listed whole.
  const previous = seen?.sandboxId === sandbox.id ? seen.listing : undefined;
  if (seen && !previous) seen.listing.watch?.close();
  const listing = await refreshListing(sandbox.files, root, previous);
  // Nothing changed: the entries and the files compared are the previous ones.
  const same = seen !== undefined && previous !== undefined && listing.version === previous.version;
  const list = same ? seen.list : [...listing.entries.values()];
  stepListings.set(run, { root, entries: list, clockMs: listing.clockMs, version: listing.version });
  let tree: Map<string, TreeFile>;
  try {
    tree = same ? seen.tree : await workspaceTreeOf(sandbox.files, root, list);
  } catch (error) {
    // The watch has handed over what changed already: without this listing kept, the next one starts whole.
    listing.watch?.close();
    forgetWorkspace(run);
    throw error;
  }
  lastSeen.set(run, { sandboxId: sandbox.id, listing, list, tree });
  return { before: seen?.tree, after: tree };
}

/** Stops keeping the run's listing of its workspace up to date (closes its change notifications); call as the run ends. */
export function forgetWorkspace(run: object): void {
  lastSeen.get(run)?.listing.watch?.close();
  lastSeen.delete(run);
  stepListings.delete(run);
}

/**
 * Runs a `str_replace_editor` call and, for an edit that succeeded, the unified diff of the file from before to after
 * (read through the sandbox's files). The run's workspace listing is then brought up to date, so the next bash step
 * does not report the edited file and the step's snapshot has its listing. Views, refused edits and files that cannot
 * be diffed get no diff; the edit's own result is never affected by a failure here.
 */
export async function editWithDiff<T extends { content: string }>(
  run: object,
  sandbox: Sandbox,
  params: EditorParams,
  edit: () => Promise<T>,
): Promise<T & StepChanges> {
  stepListings.delete(run);
  const path = typeof params.path === 'string' && params.path.startsWith('/') ? posix.normalize(params.path) : null;
  if (!path || !EDITS.has(params.command)) return edit();
  const before = await textOf(sandbox, path);
  const result = await edit();
  // The tool answers a refused edit (nothing changed) with an `ERROR:` text.
  if (result.content.startsWith('ERROR:')) return result;
  try {
    const root = lastSeen.get(run)?.listing.root ?? (await sandbox.files.realpath(sandbox.workdir));
    await relist(run, sandbox).catch(() => undefined);
    const after = await textOf(sandbox, path);
    if (before === undefined || after === undefined) return result;
    const { diff } = unifiedDiff(diffPath(root, path), before, after);
    return diff ? { ...result, diff } : result;
  } catch {
    return result;
  }
}

/**
 * Lists the workspace as a run starts (before its first LLM call): what its first bash step is compared against; where
 * the sandbox's files can, the workspace is watched for changes from then on (`SandboxFiles.watch`) until
 * `forgetWorkspace`. Never throws; without it, the first bash step reports no files.
 */
export async function watchWorkspace(run: object, sandbox: Sandbox): Promise<void> {
  try {
    await relist(run, sandbox);
    stepListings.delete(run);
  } catch {
    forgetWorkspace(run);
  }
}

/**
 * Runs an `execute_bash` call and lists the workspace files that changed meanwhile, by comparing the run's listing
 * before and after it (kind, size, mtime, ctime, permission bits, link target; `.git/` and ignored files left out). The
 * listing is brought up to date by a scan of what changed since the last one (`refreshListing`: entries whose `ctime`
 * moved, and the entries of directories whose `ctime` moved), and kept for the step's snapshot (`takeStepListing`).
 * Nothing is listed between the action and its command, so a stop is never kept waiting; files changed between steps
 * by something else (an upload, a background job) count for the next bash step.
 */
export async function runWithChangedFiles<T>(run: object, sandbox: Sandbox, execute: () => Promise<T>): Promise<T & StepChanges> {
  stepListings.delete(run);
  const result = await execute();
  try {
    const { before, after } = await relist(run, sandbox);
    const changed = before && before !== after ? compareTrees(before, after) : [];
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

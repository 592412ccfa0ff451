import { posix } from 'node:path';
import type { SandboxFiles } from '@metisai/sandbox';
import type { FileChange } from '@metisai/sdk/schemas';
import { DEFAULT_DIFF_LIMITS, type DiffLimits, isBinary, unifiedDiff } from './unified-diff.ts';
import { type TreeFile, workspaceTree } from './workspace-tree.ts';

/** A file of the conversation's baseline, as listed (its bytes are read only when needed). */
export interface BaselineEntry {
  path: string;
  sizeBytes: number;
  mtimeMs: number;
  /** Its bytes were kept (text files within the snapshot's limits). */
  hasContent: boolean;
  isBinary: boolean;
}

/** A file of a snapshot, with its bytes when they are kept. */
export interface BaselineFile extends Omit<BaselineEntry, 'hasContent'> {
  content: Uint8Array | null;
}

/** The kept bytes of a baseline file (`null` when none were kept). */
export type ReadBaseline = (path: string) => Promise<Uint8Array | null>;

export interface ChangesLimits {
  /** Most files one answer lists (the first by path); `truncated` says when more changed. */
  maxFiles: number;
  /** Files larger than this are not read: listed with `diff: null`, `truncated: true`. */
  maxReadBytes: number;
  /** Per file. */
  diff: DiffLimits;
  /** Sum of the diffs of one answer; past it, files are listed with `diff: null`, `truncated: true`. */
  maxTotalDiffChars: number;
}

export const DEFAULT_CHANGES_LIMITS: ChangesLimits = {
  maxFiles: 1000,
  maxReadBytes: 1024 * 1024,
  diff: DEFAULT_DIFF_LIMITS,
  maxTotalDiffChars: 8 * 1024 * 1024,
};

/** Files read at once. */
const READ_CONCURRENCY = 8;

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

interface Candidate {
  path: string;
  now: TreeFile | undefined;
  then: BaselineEntry | undefined;
}

interface Read {
  /** The current bytes: `null` when it is not a regular file now, `too_large` past the read cap, `gone` if it vanished. */
  now: Uint8Array | null | 'too_large' | 'gone';
  /** The baseline's kept bytes, when there is a baseline file with bytes kept. */
  then: Uint8Array | null;
}

/**
 * The files of the workspace at `root` that differ from `baseline`, sorted by path, each with its unified diff
 * (`workspaceTree` decides what counts: `.git/` and ignored files are left out). A file whose size and modification
 * time equal the baseline's is unchanged without being read; one whose bytes equal the kept baseline bytes is
 * unchanged too. Binary files (either side) are flagged, without a diff. Symlinks are listed without a diff.
 */
export async function computeChanges(
  files: SandboxFiles,
  root: string,
  baseline: readonly BaselineEntry[],
  readBaseline: ReadBaseline,
  limits: ChangesLimits = DEFAULT_CHANGES_LIMITS,
): Promise<{ data: FileChange[]; truncated: boolean }> {
  const current = await workspaceTree(files, root);
  const base = new Map(baseline.map((file) => [file.path, file]));
  const candidates: Candidate[] = [];
  for (const [path, now] of current) {
    const then = base.get(path);
    if (!then || then.sizeBytes !== now.sizeBytes || then.mtimeMs !== now.mtimeMs) candidates.push({ path, now, then });
  }
  for (const then of baseline) if (!current.has(then.path)) candidates.push({ path: then.path, now: undefined, then });
  candidates.sort(byPath);

  const data: FileChange[] = [];
  let diffChars = 0;
  let next = 0;
  // Read a few at a time, kept in path order; reading stops once an answer is full.
  while (next < candidates.length && data.length < limits.maxFiles) {
    const batch = candidates.slice(next, next + Math.min(READ_CONCURRENCY, limits.maxFiles - data.length));
    next += batch.length;
    const read = await Promise.all(
      batch.map(
        async (candidate): Promise<Read> => ({
          now: await readCurrent(files, root, candidate, limits),
          then: candidate.then?.hasContent ? await readBaseline(candidate.path) : null,
        }),
      ),
    );
    for (const [index, candidate] of batch.entries()) {
      const change = describe(candidate, read[index]!, limits, diffChars >= limits.maxTotalDiffChars);
      if (!change) continue;
      diffChars += change.diff?.length ?? 0;
      data.push(change);
    }
  }
  // Candidates left unread may all turn out unchanged; "more may have changed" is what `truncated` promises.
  return { data, truncated: next < candidates.length };
}

/** The current bytes of a candidate (see `Read`). */
async function readCurrent(files: SandboxFiles, root: string, { now }: Candidate, limits: ChangesLimits): Promise<Read['now']> {
  if (!now || now.kind !== 'file') return null;
  if (now.sizeBytes > limits.maxReadBytes) return 'too_large';
  // Removed since it was listed: no longer a change to report as added or modified.
  return files.readFile(posix.join(root, now.path)).catch(() => 'gone' as const);
}

function describe(candidate: Candidate, read: Read, limits: ChangesLimits, isOverBudget: boolean): FileChange | null {
  const { path, now, then } = candidate;
  const bytes = read.now;
  if (bytes === 'gone') return null;
  const status = !then ? 'added' : !now ? 'deleted' : 'modified';
  if (status === 'modified' && bytes instanceof Uint8Array && read.then && sameBytes(read.then, bytes)) return null;
  // Symlinks and other special files have no content to compare.
  if (now && now.kind !== 'file') return { path, status, binary: false, diff: null, truncated: false };
  const binary = (bytes instanceof Uint8Array && isBinary(bytes)) || (then?.isBinary ?? false);
  if (binary) return { path, status, binary: true, diff: null, truncated: false };
  const unknownBefore = then !== undefined && read.then === null;
  if (bytes === 'too_large' || unknownBefore || isOverBudget) return { path, status, binary: false, diff: null, truncated: true };
  const { diff, truncated } = unifiedDiff(path, read.then ? decode(read.then) : null, bytes instanceof Uint8Array ? decode(bytes) : null, limits.diff);
  return { path, status, binary: false, diff, truncated };
}

export interface SnapshotLimits {
  /** Bytes of text files kept per file; larger files are recorded by size and time only. */
  maxFileBytes: number;
  /** Bytes kept for one snapshot in all; past it, files are recorded by size and time only. */
  maxTotalBytes: number;
}

export const DEFAULT_SNAPSHOT_LIMITS: SnapshotLimits = { maxFileBytes: 1024 * 1024, maxTotalBytes: 32 * 1024 * 1024 };

/**
 * The baseline of later `computeChanges`: every file `workspaceTree` lists, with its size and modification time, and
 * the bytes of text files within the limits (diffs against the others are left out, marked truncated). Binary files
 * are flagged and their bytes not kept.
 */
export async function snapshotWorkspace(files: SandboxFiles, root: string, limits: SnapshotLimits = DEFAULT_SNAPSHOT_LIMITS): Promise<BaselineFile[]> {
  const tree = [...(await workspaceTree(files, root)).values()].sort(byPath);
  const snapshot: BaselineFile[] = [];
  let kept = 0;
  for (const file of tree) {
    let content: Uint8Array | null = null;
    let binary = false;
    if (file.kind === 'file' && file.sizeBytes <= limits.maxFileBytes && kept + file.sizeBytes <= limits.maxTotalBytes) {
      const bytes = await files.readFile(posix.join(root, file.path)).catch(() => null);
      if (bytes && isBinary(bytes)) binary = true;
      else if (bytes) {
        content = bytes;
        kept += bytes.byteLength;
      }
    }
    snapshot.push({ path: file.path, sizeBytes: file.sizeBytes, mtimeMs: file.mtimeMs, content, isBinary: binary });
  }
  return snapshot;
}

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SandboxFileNotFoundError, type SandboxFiles, type TreeEntry } from '@metisai/sandbox';
import { extract } from 'tar-stream';

/**
 * One entry of a workspace snapshot's manifest: what is at `path` (relative to the workspace root, `/`-separated), as
 * `lstat` sees it. Files carry the sha256 of their bytes (hex), symlinks their target as stored in the link.
 * Sockets, fifos and devices are not recorded.
 */
export interface ManifestEntry {
  path: string;
  kind: 'file' | 'directory' | 'symlink';
  /** Permission bits (`0o755`, …). */
  mode: number;
  sizeBytes: number;
  /** Modification time in milliseconds since the epoch: with `sizeBytes`, what decides whether a file is read again. */
  mtimeMs: number;
  /** Files: sha256 of the content, lowercase hex. */
  sha256?: string;
  /** Symlinks: the target as stored in the link (not resolved). */
  target?: string;
  /** The inode number when it was recorded (absent in manifests of older servers): a replaced file is read again. */
  inode?: number;
  /**
   * Status change time when it was recorded (absent in manifests of older servers): a file rewritten with its size and
   * mtime kept (`touch -d`, `cp -p`, `tar x`) is read again.
   */
  ctimeMs?: number;
  /**
   * Set when the file's `ctime` fell within `RACY_MS` of the listing's clock: a second write in the same clock tick
   * would leave its stat data as recorded, so the next snapshot reads it again whatever its stat data say (git's
   * "racily clean" entries).
   */
  racy?: true;
}

/** A workspace recorded once: its manifest (sorted by path, byte order) and the bytes of the files read for it. */
export interface CapturedManifest {
  manifest: ManifestEntry[];
  /** Bytes of the files this capture read, by sha256 (files whose size and mtime equal the previous manifest's are not read). */
  contents: Map<string, Uint8Array>;
  /**
   * Nothing differs from the previous manifest (paths, kinds, modes, sizes, times, link targets; racy files' bytes): no
   * new snapshot is needed (`manifest` may still differ from it in `racy` marks).
   */
  isUnchanged: boolean;
}

/**
 * A file whose `ctime` is this close to a listing's clock is read again by the next snapshot (see `ManifestEntry.racy`):
 * five ticks of the slowest kernel clock (HZ 100), which stamps file times.
 */
export const RACY_MS = 50;

/** A whole listing of a workspace with the sandbox's clock as it was taken (`SandboxFiles.scan`, a step's listing). */
export interface TimedListing {
  entries: readonly TreeEntry[];
  /** Milliseconds since the epoch, the sandbox's clock. */
  clockMs: number;
}

/** Above this many files to read, the whole workspace is read as one tar stream (one request) instead of file by file. */
export const ARCHIVE_READ_THRESHOLD = 32;

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A whole manifest as servers before chunked manifests stored it (and a chunk's form): gzip of its JSON. */
export const encodeManifest = (manifest: readonly ManifestEntry[]): Buffer => gzipSync(Buffer.from(JSON.stringify(manifest), 'utf8'));

/** A chunk ends after an entry whose path hashes to this (low six bits of FNV-1a): 64 entries per chunk on average. */
const CHUNK_BOUNDARY_MASK = 63;
/** Most entries of one chunk (a run of paths that never hits a boundary). */
export const MAX_CHUNK_ENTRIES = 1024;

/** FNV-1a (32 bits) of a string's UTF-16 code units: cheap, and the same on every server. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * A manifest as stored from format 2 on: `index` (the `workspace_snapshots.manifest` column: gzip of
 * `{"format":2,"chunks":[sha256…]}`) names, in order, the chunks the sorted manifest is cut into; each chunk is a blob
 * (gzip of the JSON of its entries) in the user's blob store, by its sha256. Chunks end where a path's hash says
 * (content-defined, about 64 entries each), so a step that changes one file stores one new chunk and a small index;
 * the other chunks are the previous snapshot's.
 */
export interface ChunkedManifest {
  index: Buffer;
  /** The chunks' bytes by sha256, in the index's order. */
  chunks: Map<string, Buffer>;
}

/** `manifest` (sorted by path) cut into chunks (see `ChunkedManifest`). */
export function encodeManifestChunks(manifest: readonly ManifestEntry[]): ChunkedManifest {
  const chunks = new Map<string, Buffer>();
  const order: string[] = [];
  let start = 0;
  const close = (end: number) => {
    if (end === start) return;
    const bytes = encodeManifest(manifest.slice(start, end));
    const sha256 = sha256Hex(bytes);
    chunks.set(sha256, bytes);
    order.push(sha256);
    start = end;
  };
  for (let i = 0; i < manifest.length; i++) {
    if ((fnv1a(manifest[i]!.path) & CHUNK_BOUNDARY_MASK) === CHUNK_BOUNDARY_MASK || i + 1 - start >= MAX_CHUNK_ENTRIES) close(i + 1);
  }
  close(manifest.length);
  return { index: gzipSync(Buffer.from(JSON.stringify({ format: 2, chunks: order }), 'utf8')), chunks };
}

/** The chunks a stored manifest names, in order; `null` for a manifest stored whole (before format 2). */
export function manifestChunkHashes(stored: Uint8Array): string[] | null {
  const parsed = JSON.parse(gunzipSync(stored).toString('utf8')) as ManifestEntry[] | { format: number; chunks: string[] };
  if (Array.isArray(parsed)) return null;
  if (parsed.format !== 2 || !Array.isArray(parsed.chunks)) throw new Error(`unknown manifest format ${String(parsed.format)}`);
  return parsed.chunks;
}

/**
 * A stored manifest (either form) read back: `chunkBytes` answers the bytes of the chunks asked for by sha256 (from
 * the blob store). Throws when a chunk is missing.
 */
export async function decodeManifest(stored: Uint8Array, chunkBytes: (sha256s: string[]) => Promise<Map<string, Uint8Array>>): Promise<ManifestEntry[]> {
  const hashes = manifestChunkHashes(stored);
  if (hashes === null) return JSON.parse(gunzipSync(stored).toString('utf8')) as ManifestEntry[];
  const found = hashes.length === 0 ? new Map<string, Uint8Array>() : await chunkBytes([...new Set(hashes)]);
  return hashes.flatMap((sha256) => {
    const bytes = found.get(sha256);
    if (!bytes) throw new Error(`manifest chunk ${sha256} is missing`);
    return JSON.parse(gunzipSync(bytes).toString('utf8')) as ManifestEntry[];
  });
}

const recordable = (entry: TreeEntry): entry is TreeEntry & { kind: ManifestEntry['kind'] } =>
  entry.kind === 'file' || entry.kind === 'directory' || entry.kind === 'symlink';

/** Whether `entry` is recorded as `previous` records it (directories' times aside: they move with every entry made or removed). */
const sameEntry = (entry: ManifestEntry, previous: ManifestEntry | undefined): boolean =>
  previous !== undefined &&
  previous.kind === entry.kind &&
  previous.mode === entry.mode &&
  (entry.kind === 'directory' ||
    (previous.sizeBytes === entry.sizeBytes &&
      previous.mtimeMs === entry.mtimeMs &&
      (previous.inode === undefined || entry.inode === undefined || previous.inode === entry.inode) &&
      (previous.ctimeMs === undefined || entry.ctimeMs === undefined || previous.ctimeMs === entry.ctimeMs))) &&
  previous.target === entry.target;

/**
 * Records the workspace at `root`: one listing (`scan`, symlinks not followed, nothing pruned; or `listing`, such a
 * listing of `root` taken already — a step's, shared with its changed-files list), and the bytes of every file that is
 * new, whose stat data (size, mtime, ctime, mode, inode) differ from `previous` (the last manifest of the conversation,
 * by path), or that `previous` marks `racy`, read file by file, or as one tar stream of the workspace when there are
 * more than `ARCHIVE_READ_THRESHOLD`. Nothing is hashed when nothing differs. A file that disappears between the
 * listing and the read is left out. Throws what the sandbox's file API throws for the root.
 */
export async function captureManifest(
  files: SandboxFiles,
  root: string,
  previous: ReadonlyMap<string, ManifestEntry> | null,
  listing?: TimedListing,
): Promise<CapturedManifest> {
  const taken = listing ?? (await files.scan(root));
  const racyFrom = taken.clockMs - RACY_MS;
  const listed = taken.entries.filter(recordable).sort((a, b) => byteOrder(a.path, b.path));
  const manifest: ManifestEntry[] = [];
  const toRead = new Map<string, ManifestEntry>();
  const toVerify = new Map<ManifestEntry, string>();
  let isUnchanged = previous !== null && previous.size === listed.length;
  for (const item of listed) {
    const entry: ManifestEntry = { path: item.path, kind: item.kind, mode: item.mode & 0o7777, sizeBytes: item.sizeBytes, mtimeMs: item.mtimeMs };
    if (item.kind !== 'directory' && item.inode !== undefined) entry.inode = item.inode;
    if (item.kind !== 'directory' && item.ctimeMs !== undefined) {
      entry.ctimeMs = item.ctimeMs;
      if (item.kind === 'file' && item.ctimeMs >= racyFrom) entry.racy = true;
    }
    if (item.kind === 'symlink') entry.target = item.linkTarget ?? '';
    const before = previous?.get(item.path);
    const same = sameEntry(entry, before);
    if (!same) isUnchanged = false;
    if (item.kind === 'file') {
      if (same && before?.sha256 && !before.racy) entry.sha256 = before.sha256;
      else {
        toRead.set(item.path, entry);
        // Racy before: only its bytes tell whether it changed.
        if (same && before?.sha256) toVerify.set(entry, before.sha256);
      }
    }
    manifest.push(entry);
  }
  if (isUnchanged && toVerify.size === 0) return { manifest, contents: new Map(), isUnchanged: true };
  const contents = new Map<string, Uint8Array>();
  const gone = new Set<string>();
  const take = (entry: ManifestEntry, bytes: Uint8Array) => {
    entry.sha256 = sha256Hex(bytes);
    entry.sizeBytes = bytes.byteLength;
    contents.set(entry.sha256, bytes);
  };
  if (toRead.size > ARCHIVE_READ_THRESHOLD) {
    await readThroughArchive(files, root, toRead, take);
    for (const path of toRead.keys()) if (!toRead.get(path)!.sha256) gone.add(path);
  } else {
    for (const [path, entry] of toRead) {
      try {
        take(entry, await files.readFile(`${root}/${path}`));
      } catch (error) {
        if (!(error instanceof SandboxFileNotFoundError)) throw error;
        gone.add(path);
      }
    }
  }
  if (isUnchanged && gone.size === 0 && [...toVerify].every(([entry, sha256]) => entry.sha256 === sha256)) {
    return { manifest, contents: new Map(), isUnchanged: true };
  }
  return { manifest: gone.size > 0 ? manifest.filter((entry) => !gone.has(entry.path)) : manifest, contents, isUnchanged: false };
}

/** Reads the files of `wanted` (by path) out of one tar stream of the workspace (entries start with the root's name). */
async function readThroughArchive(
  files: SandboxFiles,
  root: string,
  wanted: ReadonlyMap<string, ManifestEntry>,
  take: (entry: ManifestEntry, bytes: Uint8Array) => void,
): Promise<void> {
  const source = await files.archive(root);
  const parser = extract();
  source.on('error', (error) => parser.destroy(error));
  (source instanceof Readable ? source : Readable.from(source)).pipe(parser);
  try {
    for await (const item of parser) {
      const name = item.header.name.replace(/\/+$/, '');
      const slash = name.indexOf('/');
      const path = slash < 0 ? '' : name.slice(slash + 1);
      const entry = item.header.type === 'file' || item.header.type === 'contiguous-file' ? wanted.get(path) : undefined;
      if (!entry) {
        item.resume();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of item) chunks.push(chunk as Buffer);
      take(entry, Buffer.concat(chunks));
    }
  } finally {
    parser.destroy();
    source.destroy();
  }
}

/**
 * What to delete from a workspace listed as `current` so that writing `manifest` over it leaves exactly the manifest:
 * entries the manifest does not have, or has as another kind (or as a symlink to another target). Only the topmost
 * path of a deleted tree is named (delete recursively).
 */
export function entriesToRemove(current: readonly TreeEntry[], manifest: readonly ManifestEntry[]): string[] {
  const wanted = new Map(manifest.map((entry) => [entry.path, entry]));
  const removed: string[] = [];
  for (const item of [...current].sort((a, b) => byteOrder(a.path, b.path))) {
    if (removed.some((path) => item.path.startsWith(`${path}/`))) continue;
    const entry = wanted.get(item.path);
    const keep = entry !== undefined && entry.kind === item.kind && (entry.kind !== 'symlink' || entry.target === item.linkTarget);
    if (!keep) removed.push(item.path);
  }
  return removed;
}

import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SandboxFiles } from '@metisai/sandbox';
import { ErrorCode } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import type { StepSnapshots } from '../agent/run-options.ts';
import type { StepListing } from '../agent/step-changes.ts';
import type { Orm } from '../db/orm.ts';
import { ConflictError } from '../errors.ts';
import {
  type CapturedManifest,
  captureManifest,
  decodeManifest,
  encodeManifestChunks,
  entriesToRemove,
  type ManifestEntry,
} from '../workspaces/workspace-snapshot.ts';

/** Whose workspace a snapshot records: the conversation, and the user whose blob store holds its bytes. */
export interface SnapshotOwner {
  id: string;
  userId: string;
}

/** A stored snapshot: the workspace as it was from `seq` on (until the next snapshot's `seq`). */
export interface StoredSnapshot {
  seq: number;
  /** `null`: the snapshot of this step could not be taken; the workspace at it is unknown. */
  manifest: ManifestEntry[] | null;
}

/** Blob bytes inserted per statement. */
const BLOB_BATCH_BYTES = 8 * 1024 * 1024;
/** Blobs read per statement when a workspace is restored. */
const RESTORE_BATCH = 100;
/** Last manifests kept in memory (per conversation) to compare the next snapshot against. */
const CACHED_MANIFESTS = 256;

/**
 * Snapshots of conversations' workspaces, content-addressed, in Postgres (outside the sandbox: the agent cannot reach
 * or rewrite its own history). A snapshot is a manifest (path → kind, mode, size, mtime, sha256 or link target; see
 * `ManifestEntry`) stored per step that changed something (`workspace_snapshots`, keyed by the step's `seq`); file bytes
 * are blobs keyed by sha256 per user (`snapshot_blobs`), stored once however many snapshots, conversations and forks
 * share them. `conversations.snapshot_seq` is the last `seq` whose snapshot is settled (a step that changed nothing
 * stores no row but moves it). Only files whose size or mtime changed since the previous manifest are read.
 */
export class WorkspaceSnapshots {
  readonly #orm: Orm;
  readonly #logger: Logger;
  /** Snapshots of one conversation are taken one after another, in the order they were asked for. */
  readonly #chains = new Map<string, Promise<void>>();
  /** The last manifest stored per conversation by this process (a stale one only makes the next snapshot read more). */
  readonly #last = new Map<string, Map<string, ManifestEntry>>();
  /**
   * Per conversation, the version of the step listing (`StepListing.version`) the manifest in `#last` was taken from,
   * when none of its files was racy: a later listing with the same version lists the same entries, so the workspace is
   * as that manifest records it.
   */
  readonly #lastVersion = new Map<string, number>();
  /** Resolved workspace roots per sandbox's files and `workdir`. */
  readonly #roots = new WeakMap<SandboxFiles, Map<string, string>>();

  constructor(deps: { orm: Orm; logger: Logger }) {
    this.#orm = deps.orm;
    this.#logger = deps.logger;
  }

  /** A run's recorder (see `StepSnapshots`) for `conversation`. */
  forRun(conversation: SnapshotOwner): StepSnapshots {
    const pending = new Set<Promise<void>>();
    return {
      record: (sandbox, seq, listing) => {
        const done = this.capture(conversation, sandbox.files, sandbox.workdir, seq, listing);
        pending.add(done);
        done.finally(() => pending.delete(done));
      },
      settled: async (maxWaitMs) => {
        if (pending.size === 0) return;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), maxWaitMs);
        });
        const outcome = await Promise.race([Promise.all([...pending]), late]);
        clearTimeout(timer);
        if (outcome === 'late') this.#logger.warn({ conversationId: conversation.id, maxWaitMs }, 'workspace snapshot still running; the run goes on');
      },
    };
  }

  /**
   * Records the workspace at `workdir` as the state from `seq` on, after the snapshots of the conversation already
   * asked for; from `listing` when one was just taken of it (a bash step's). Never rejects: a failure is logged and
   * stored as an unavailable snapshot at `seq`.
   */
  capture(conversation: SnapshotOwner, files: SandboxFiles, workdir: string, seq: number, listing?: StepListing): Promise<void> {
    const before = this.#chains.get(conversation.id) ?? Promise.resolve();
    const mine = before.then(() => this.#captureNow(conversation, files, workdir, seq, listing));
    this.#chains.set(conversation.id, mine);
    mine.finally(() => {
      if (this.#chains.get(conversation.id) === mine) this.#chains.delete(conversation.id);
    });
    return mine;
  }

  async #captureNow(conversation: SnapshotOwner, files: SandboxFiles, workdir: string, seq: number, listing?: StepListing): Promise<void> {
    const em = this.#orm.em.fork();
    try {
      // The step's listing is the one the last manifest was taken from: nothing to compare, nothing to read.
      const unchanged = listing !== undefined && this.#last.has(conversation.id) && this.#lastVersion.get(conversation.id) === listing.version;
      if (!unchanged) {
        const root = listing?.root ?? (await this.#rootOf(files, workdir));
        const previous = this.#last.get(conversation.id) ?? (await this.#latestManifest(em, conversation));
        const captured = await captureManifest(files, root, previous, listing);
        if (!captured.isUnchanged) await this.#store(em, conversation, seq, captured);
        this.#remember(conversation.id, captured.manifest);
        if (listing && !captured.manifest.some((entry) => entry.racy)) this.#lastVersion.set(conversation.id, listing.version);
      }
    } catch (error) {
      this.#logger.warn({ err: error, conversationId: conversation.id, seq }, 'workspace snapshot failed; forks at this step are refused');
      this.#last.delete(conversation.id);
      this.#lastVersion.delete(conversation.id);
      await em
        .execute(
          `insert into workspace_snapshots (conversation_id, seq, manifest, blobs, files, bytes, added_bytes) values (?, ?, null, '{}', 0, 0, 0)
           on conflict (conversation_id, seq) do update set manifest = null, blobs = '{}'`,
          [conversation.id, seq],
        )
        .catch(() => undefined);
    }
    await em
      .execute('update conversations set snapshot_seq = greatest(snapshot_seq, ?) where id = ?', [seq, conversation.id])
      .catch((error: unknown) => this.#logger.warn({ err: error, conversationId: conversation.id }, 'snapshot watermark not stored'));
  }

  async #store(em: EntityManager, conversation: SnapshotOwner, seq: number, captured: CapturedManifest): Promise<void> {
    const stored = await this.#storeManifest(em, conversation.userId, captured.manifest, captured.contents);
    const bytes = captured.manifest.reduce((sum, entry) => sum + (entry.kind === 'file' ? entry.sizeBytes : 0), 0);
    await em.execute(
      `insert into workspace_snapshots (conversation_id, seq, manifest, blobs, files, bytes, added_bytes) values (?, ?, ?, array[?]::text[], ?, ?, ?)
       on conflict (conversation_id, seq) do update set manifest = excluded.manifest, blobs = excluded.blobs, files = excluded.files,
         bytes = excluded.bytes, added_bytes = workspace_snapshots.added_bytes + excluded.added_bytes`,
      [conversation.id, seq, stored.index, stored.blobs, captured.manifest.length, bytes, stored.added],
    );
  }

  /**
   * Stores `manifest`'s chunks and the file bytes of `contents` (sha256 → bytes) the user's blob store lacks; answers
   * the manifest's index (the row's `manifest`), every blob the row refers to (its files' and its chunks') and the
   * bytes added.
   */
  async #storeManifest(
    em: EntityManager,
    userId: string,
    manifest: readonly ManifestEntry[],
    contents: ReadonlyMap<string, Uint8Array> = new Map(),
  ): Promise<{ index: Buffer; blobs: string[]; added: number }> {
    const { index, chunks } = encodeManifestChunks(manifest);
    const added = await this.#storeBlobs(em, userId, [...contents, ...chunks]);
    const files = new Set(manifest.flatMap((entry) => (entry.sha256 ? [entry.sha256] : [])));
    return { index, blobs: [...files, ...chunks.keys()], added };
  }

  /**
   * Stores the blobs of `contents` (sha256 → bytes) the user's store lacks, in batches of `BLOB_BATCH_BYTES`; answers
   * the bytes added.
   */
  async #storeBlobs(em: EntityManager, userId: string, contents: readonly (readonly [string, Uint8Array])[]): Promise<number> {
    if (contents.length === 0) return 0;
    const known = new Set(
      (
        await em.execute<{ sha256: string }[]>('select sha256 from snapshot_blobs where user_id = ? and sha256 = any(array[?]::text[])', [
          userId,
          contents.map(([sha256]) => sha256),
        ])
      ).map((row) => row.sha256),
    );
    let added = 0;
    let batch: [string, Uint8Array][] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch.map(([sha256, bytes]) => ({
        user_id: userId,
        sha256,
        size_bytes: bytes.byteLength,
        content: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      }));
      // Through the ORM's query builder (Kysely): bound parameters, so the bytes travel as bytea, not inlined as hex text.
      await em
        .getConnection()
        .getClient<any>()
        .insertInto('snapshot_blobs')
        .values(rows)
        .onConflict((conflict) => conflict.doNothing())
        .execute();
      batch = [];
      batchBytes = 0;
    };
    for (const [sha256, bytes] of contents) {
      if (known.has(sha256)) continue;
      known.add(sha256);
      added += bytes.byteLength;
      batch.push([sha256, bytes]);
      batchBytes += bytes.byteLength;
      if (batchBytes >= BLOB_BATCH_BYTES) await flush();
    }
    await flush();
    return added;
  }

  /** The blobs of `sha256s` in the user's store (manifest chunks, file bytes), by sha256; missing ones are left out. */
  async #blobs(em: EntityManager, userId: string, sha256s: string[]): Promise<Map<string, Uint8Array>> {
    const rows = await em.execute<{ sha256: string; content: Buffer }[]>(
      'select sha256, content from snapshot_blobs where user_id = ? and sha256 = any(array[?]::text[])',
      [userId, sha256s],
    );
    return new Map(rows.map((row) => [row.sha256, row.content]));
  }

  /** `workdir` resolved, once per sandbox's files (on Docker each path component costs a request to the engine). */
  async #rootOf(files: SandboxFiles, workdir: string): Promise<string> {
    let roots = this.#roots.get(files);
    if (!roots) {
      roots = new Map();
      this.#roots.set(files, roots);
    }
    let root = roots.get(workdir);
    if (root === undefined) {
      root = await files.realpath(workdir);
      roots.set(workdir, root);
    }
    return root;
  }

  #remember(conversationId: string, manifest: readonly ManifestEntry[]): void {
    this.#lastVersion.delete(conversationId);
    this.#last.delete(conversationId);
    this.#last.set(conversationId, new Map(manifest.map((entry) => [entry.path, entry])));
    if (this.#last.size > CACHED_MANIFESTS) {
      const oldest = this.#last.keys().next().value!;
      this.#last.delete(oldest);
      this.#lastVersion.delete(oldest);
    }
  }

  async #latestManifest(em: EntityManager, conversation: SnapshotOwner): Promise<Map<string, ManifestEntry> | null> {
    const [row] = await em.execute<{ manifest: Buffer | null }[]>(
      'select manifest from workspace_snapshots where conversation_id = ? order by seq desc limit 1',
      [conversation.id],
    );
    if (!row?.manifest) return null;
    const manifest = await decodeManifest(row.manifest, (sha256s) => this.#blobs(em, conversation.userId, sha256s));
    return new Map(manifest.map((entry) => [entry.path, entry]));
  }

  /** The snapshot in force at `seq` (the last one at or before it); `null` when none was taken by then. */
  async at(em: EntityManager, conversationId: string, seq: number): Promise<StoredSnapshot | null> {
    const [row] = await em.execute<{ seq: number; manifest: Buffer | null; user_id: string }[]>(
      `select s.seq, s.manifest, c.user_id from workspace_snapshots s join conversations c on c.id = s.conversation_id
       where s.conversation_id = ? and s.seq <= ? order by s.seq desc limit 1`,
      [conversationId, seq],
    );
    if (!row) return null;
    return { seq: row.seq, manifest: row.manifest ? await decodeManifest(row.manifest, (sha256s) => this.#blobs(em, row.user_id, sha256s)) : null };
  }

  /**
   * Whether the snapshot in force at `seq` holds a manifest (`false`: that step's snapshot failed), without reading it;
   * `null` when none was taken by then.
   */
  async isRecordedAt(em: EntityManager, conversationId: string, seq: number): Promise<boolean | null> {
    const [row] = await em.execute<{ recorded: boolean }[]>(
      'select manifest is not null as recorded from workspace_snapshots where conversation_id = ? and seq <= ? order by seq desc limit 1',
      [conversationId, seq],
    );
    return row ? row.recorded : null;
  }

  /** Gives conversation `to` (a fork) the snapshots of `from` up to `seq`: rows are copied, blobs shared. Call inside the fork's transaction. */
  async copy(tx: EntityManager, from: string, to: string, seq: number): Promise<void> {
    await tx.execute(
      `insert into workspace_snapshots (conversation_id, seq, manifest, blobs, files, bytes, added_bytes, created_at)
       select ?, seq, manifest, blobs, files, bytes, 0, created_at from workspace_snapshots where conversation_id = ? and seq <= ?`,
      [to, from, seq],
    );
  }

  /**
   * Makes the workspace at `workdir` exactly the snapshot in force at `seq` (nothing to do when there is none: the
   * workspace is as its image made it): entries the snapshot does not have are deleted, then its files, directories
   * and links are written with their permission bits and modification times (through a host directory and the
   * driver's `uploadDir`). The snapshot row at `seq` is then stored again with the restored mtimes, so the fork's
   * next snapshot reads nothing that did not change. Throws `ConflictError` `snapshot_unavailable` when that step's
   * snapshot failed.
   */
  async restore(conversation: SnapshotOwner, files: SandboxFiles, workdir: string, seq: number): Promise<void> {
    const em = this.#orm.em.fork();
    const snapshot = await this.at(em, conversation.id, seq);
    if (!snapshot) return;
    if (!snapshot.manifest) throw snapshotUnavailable('at_seq', `The workspace at seq ${seq} was not recorded`);
    const manifest = snapshot.manifest;
    const root = await files.realpath(workdir);
    for (const path of entriesToRemove(await files.walk(root), manifest)) await files.remove(`${root}/${path}`, { recursive: true });
    const host = join(tmpdir(), `metisai-restore-${randomUUID()}`);
    try {
      await this.#materialize(em, conversation.userId, manifest, host);
      await files.uploadDir(host, root);
    } finally {
      await rm(host, { recursive: true, force: true });
    }
    // The restored files' mtimes (tar keeps whole seconds), inodes and ctimes: recorded so the next snapshot does not
    // read them again (nothing else writes to a workspace being restored: not racy).
    const restored = new Map((await files.walk(root)).map((item) => [item.path, item]));
    const adjusted = manifest.map(({ racy: _racy, ...entry }): ManifestEntry => {
      const now = restored.get(entry.path);
      if (!now || now.kind !== entry.kind || now.sizeBytes !== entry.sizeBytes) return entry;
      return entry.kind === 'directory' ? { ...entry, mtimeMs: now.mtimeMs } : { ...entry, mtimeMs: now.mtimeMs, inode: now.inode, ctimeMs: now.ctimeMs };
    });
    // Stored like any snapshot (its chunks in the fork's user's blob store); the bytes it adds are the fork's own.
    const stored = await this.#storeManifest(em, conversation.userId, adjusted);
    await em.execute(
      'update workspace_snapshots set manifest = ?, blobs = array[?]::text[], added_bytes = added_bytes + ? where conversation_id = ? and seq = ?',
      [stored.index, stored.blobs, stored.added, conversation.id, snapshot.seq],
    );
    this.#remember(conversation.id, adjusted);
  }

  /**
   * Prunes the caller's conversation's snapshots before `beforeSeq` (see `ConversationForkService` for ownership
   * checks): every snapshot row before it goes except the last one when it is still in force at `beforeSeq` (no row at
   * `beforeSeq` itself), forks before it are
   * refused from then on (`snapshots_pruned_before`), and blobs no snapshot of the user uses any more are deleted.
   * Answers the bytes freed.
   */
  async prune(em: EntityManager, conversation: SnapshotOwner, beforeSeq: number): Promise<number> {
    return em.transactional(async (tx) => {
      await tx.execute('select id from conversations where id = ? for update', [conversation.id]);
      await tx.execute(
        `delete from workspace_snapshots where conversation_id = ? and seq < ?
           and seq <> coalesce((select max(seq) from workspace_snapshots where conversation_id = ? and seq <= ?), -1)`,
        [conversation.id, beforeSeq, conversation.id, beforeSeq],
      );
      await tx.execute('update conversations set snapshots_pruned_before = greatest(snapshots_pruned_before, ?) where id = ?', [beforeSeq, conversation.id]);
      return this.#collect(tx, conversation.userId);
    });
  }

  /** Deletes the user's blobs that no snapshot of theirs uses (after a conversation is deleted). */
  async collectGarbage(em: EntityManager, userId: string): Promise<void> {
    await this.#collect(em, userId).catch((error: unknown) => this.#logger.warn({ err: error, userId }, 'snapshot blobs not collected'));
  }

  async #collect(em: EntityManager, userId: string): Promise<number> {
    const rows = await em.execute<{ size_bytes: string }[]>(
      `delete from snapshot_blobs where user_id = ? and sha256 not in (
         select unnest(s.blobs) from workspace_snapshots s join conversations c on c.id = s.conversation_id where c.user_id = ?)
       returning size_bytes`,
      [userId, userId],
    );
    return rows.reduce((sum, row) => sum + Number(row.size_bytes), 0);
  }

  /**
   * Bytes the conversation's snapshots added to the blob store (what they count toward its workspace quota; a fork's
   * copied snapshots add nothing, they share the original's blobs).
   */
  async bytesOf(em: EntityManager, conversationId: string): Promise<number> {
    const [row] = await em.execute<{ bytes: string | null }[]>('select sum(added_bytes) as bytes from workspace_snapshots where conversation_id = ?', [
      conversationId,
    ]);
    return Number(row?.bytes ?? 0);
  }

  /** Writes `manifest` into the empty host directory `host`: directories, files (bytes from the blob store), then links. */
  async #materialize(em: EntityManager, userId: string, manifest: readonly ManifestEntry[], host: string): Promise<void> {
    await mkdir(host, { recursive: true, mode: 0o700 });
    const directories = manifest.filter((entry) => entry.kind === 'directory');
    for (const entry of directories) await mkdir(join(host, entry.path), { recursive: true, mode: 0o700 });
    const fileEntries = manifest.filter((entry) => entry.kind === 'file');
    for (let start = 0; start < fileEntries.length; start += RESTORE_BATCH) {
      const batch = fileEntries.slice(start, start + RESTORE_BATCH);
      const hashes = [...new Set(batch.map((entry) => entry.sha256!))];
      const bytesOf = await this.#blobs(em, userId, hashes);
      for (const entry of batch) {
        const bytes = bytesOf.get(entry.sha256!);
        if (!bytes) throw new Error(`snapshot blob ${entry.sha256} of ${entry.path} is missing`);
        const target = join(host, entry.path);
        await writeFile(target, bytes, { mode: 0o600 });
        await chmod(target, entry.mode);
        const mtime = new Date(entry.mtimeMs);
        await utimes(target, mtime, mtime);
      }
    }
    // Links last, so no write above goes through one.
    for (const entry of manifest) if (entry.kind === 'symlink') await symlink(entry.target ?? '', join(host, entry.path));
    // Directory modes last, deepest first (a read-only directory is written into first).
    for (const entry of [...directories].reverse()) await chmod(join(host, entry.path), entry.mode);
  }
}

/** 409 `snapshot_unavailable`: the workspace at the step a fork asks for is not recorded (failed, or pruned). */
export const snapshotUnavailable = (field: string, message: string) =>
  new ConflictError(ErrorCode.snapshotUnavailable, message, { details: [{ path: field, message: 'its workspace snapshot is unavailable' }] });

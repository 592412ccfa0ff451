import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  FileExistsError,
  type FileInfo,
  IsDirectoryError,
  NotDirectoryError,
  SandboxFileNotFoundError,
  SymlinkLoopError,
  SandboxNotFoundError,
  SandboxNotRunningError,
} from '@metisai/sandbox';
import {
  AGENT_STATUSES,
  type AttachmentParams,
  type Changes,
  type DownloadUrl,
  ErrorCode,
  type FileEntry,
  type Page,
  type WorkspaceFile,
} from '@metisai/sdk/schemas';
import { type Conversation, ConversationEntity } from '../entities/index.ts';
import { AuthenticationError, ConflictError, InvalidRequestError, NotFoundError } from '../errors.ts';
import { DOWNLOAD_URL_TTL_SECONDS, type DownloadGrant, signDownload, verifyDownload } from '../security/download-tokens.ts';
import { mediaTypeOf } from '../workspaces/media-type.ts';
import { computeChanges } from '../workspaces/workspace-changes.ts';
import { insideWorkspace, invalidPath, inWorkdir, toWorkspacePath } from '../workspaces/workspace-path.ts';
import { agentRefusal } from './agents.ts';
import type { ConversationOwner, ConversationService } from './conversations.ts';
import type { ConversationWorkspaces, WorkspaceHandle } from './workspaces.ts';

/** A file (or archive) on its way down: the route streams `body` with these headers. */
export interface Download {
  body: Readable;
  /** File name for `Content-Disposition` (the type follows from its extension). */
  fileName: string;
  /** Known for a file; unknown for an archive (it is compressed as it streams). */
  sizeBytes: number | undefined;
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const toEntry = (path: string, info: FileInfo): FileEntry => ({
  name: info.name,
  path,
  type: info.kind,
  size: info.sizeBytes,
  mtime: new Date(info.mtimeMs).toISOString(),
});

const shown = (relative: string) => (relative === '' ? 'the workspace root' : relative);

/**
 * The domain error for a sandbox file error, naming the API path (`relative`) and the field it came from; never a host
 * path. Errors that are not about files pass through.
 */
function fileError(error: unknown, field: string, relative: string): unknown {
  const detail = (message: string) => ({ details: [{ path: field, message }] });
  if (error instanceof SandboxFileNotFoundError) return new NotFoundError('file', `No such file or directory: ${shown(relative)}`);
  if (error instanceof IsDirectoryError) return new InvalidRequestError(ErrorCode.isADirectory, `${shown(relative)} is a directory`, detail('is a directory'));
  if (error instanceof NotDirectoryError) {
    return new InvalidRequestError(ErrorCode.notADirectory, `${shown(relative)} (or one of its parents) is not a directory`, detail('is not a directory'));
  }
  if (error instanceof SymlinkLoopError) return invalidPath(field, 'meets a loop of symbolic links');
  if (error instanceof FileExistsError) return new ConflictError(ErrorCode.fileExists, `${shown(relative)} already exists`, detail('already exists'));
  if (error instanceof SandboxNotRunningError || error instanceof SandboxNotFoundError) {
    return new ConflictError(ErrorCode.conversationBusy, "The conversation's sandbox is starting or stopping; retry shortly", { retryAfterSeconds: 1 });
  }
  return error;
}

/** How a workspace is opened: `create` its sandbox when it has none; `write`: refused while its repository is cloned. */
interface OpenOptions {
  create: boolean;
  write?: boolean;
}

/** The conversation's repository is being cloned: the workspace takes no writes until it is in (409, retry). */
const isCloning = (conversation: Conversation) => conversation.state === 'running' && conversation.repository?.status === 'cloning';

/** What `#at` resolved: the sandbox path of a workspace path, checked to stay in the workspace. */
interface Located {
  /** Absolute in the sandbox, every symlink resolved (the last one too only when following). */
  path: string;
  /** The workspace path as the caller gave it, normalised. */
  relative: string;
}

/**
 * A conversation's workspace as an API (owner-scoped like every service): list, download, upload, delete, move, mkdir,
 * archive, changes since the baseline, and signed download URLs. Paths are workspace paths (`toWorkspacePath`); every
 * symlink on the way is resolved and must stay inside the workspace (`invalid_path` otherwise). Files stream both ways:
 * nothing is held whole.
 */
export class WorkspaceService {
  readonly #conversations: ConversationService;
  readonly #workspaces: ConversationWorkspaces | null;
  readonly #downloadKey: Buffer;

  constructor(conversations: ConversationService, workspaces: ConversationWorkspaces | null, downloadKey: Buffer) {
    this.#conversations = conversations;
    this.#workspaces = workspaces;
    this.#downloadKey = downloadKey;
  }

  /** A directory's entries, sorted by name, after `after` (exclusive). Empty before the conversation has a sandbox. */
  async list(em: EntityManager, userId: string, id: string, params: { path?: string; after?: string; limit?: number }): Promise<Page<FileEntry>> {
    const relative = toWorkspacePath(params.path ?? '', 'path');
    const limit = params.limit ?? 100;
    const empty: Page<FileEntry> = { data: [], has_more: false, next_after: null };
    return this.#withExisting(em, userId, id, empty, async (workspace) => {
      const { path } = await this.#at(workspace, relative, 'path', { follow: true });
      const infos = await workspace.files.list(path).catch((error: unknown) => Promise.reject(fileError(error, 'path', relative)));
      const sorted = infos.filter((info) => params.after === undefined || byteOrder(info.name, params.after) > 0).sort((a, b) => byteOrder(a.name, b.name));
      const page = sorted.slice(0, limit);
      const hasMore = sorted.length > limit;
      return { data: page.map((info) => toEntry(posix.join(relative, info.name), info)), has_more: hasMore, next_after: hasMore ? page.at(-1)!.name : null };
    });
  }

  /** One file's bytes as a stream; the sandbox is held until the stream ends or is destroyed. */
  async download(em: EntityManager, userId: string, id: string, rawPath: string): Promise<Download> {
    const relative = toWorkspacePath(rawPath, 'path');
    const workspace = await this.#open(em, userId, id, { create: false });
    if (!workspace) throw new NotFoundError('file', `No such file or directory: ${shown(relative)}`);
    try {
      const { path } = await this.#at(workspace, relative, 'path', { follow: true });
      const info = await workspace.files.lstat(path);
      if (!info) throw new NotFoundError('file', `No such file or directory: ${shown(relative)}`);
      if (info.kind === 'directory') throw fileError(new IsDirectoryError(path), 'path', relative);
      const body = await workspace.files.readFileStream(path).catch((error: unknown) => Promise.reject(fileError(error, 'path', relative)));
      body.once('close', workspace.release);
      return { body, fileName: posix.basename(relative), sizeBytes: info.sizeBytes };
    } catch (error) {
      workspace.release();
      throw error;
    }
  }

  /**
   * Streams `body` (exactly `sizeBytes`) into the file at `path`, creating the sandbox (before the first message) and
   * missing parents; written under a temporary name and renamed, so a failed upload leaves nothing. Recorded as a
   * `workspace` / `uploaded` event. Answers the entry and whether the file is new. 409 `conversation_busy` while the
   * conversation's repository is being cloned.
   */
  async upload(
    em: EntityManager,
    userId: ConversationOwner,
    id: string,
    rawPath: string,
    body: NodeJS.ReadableStream,
    sizeBytes: number,
  ): Promise<{ entry: FileEntry; isCreated: boolean }> {
    const relative = toWorkspacePath(rawPath, 'path');
    if (relative === '') throw fileError(new IsDirectoryError(''), 'path', relative);
    return this.#withCreated(em, userId, id, async (workspace) => {
      const { path } = await this.#at(workspace, relative, 'path', { follow: true });
      let written: { entry: FileEntry; isCreated: boolean };
      try {
        const before = await workspace.files.lstat(path);
        const info = await workspace.files.writeFileStream(path, body, { sizeBytes });
        written = { entry: toEntry(relative, { ...info, name: posix.basename(relative) }), isCreated: before === null };
      } catch (error) {
        throw fileError(error, 'path', relative);
      }
      const file = { path: relative, size: written.entry.size, type: mediaTypeOf(relative) };
      await this.#workspaces!.recordStep(id, workspace, { type: 'workspace', phase: 'uploaded', files: [file] });
      return written;
    });
  }

  /** Deletes a file, link or whole directory (a link is removed, not its target). */
  async remove(em: EntityManager, userId: string, id: string, rawPath: string): Promise<void> {
    const relative = toWorkspacePath(rawPath, 'path');
    if (relative === '') throw invalidPath('path', 'the workspace root cannot be deleted');
    const workspace = await this.#open(em, userId, id, { create: false, write: true });
    if (!workspace) throw new NotFoundError('file', `No such file or directory: ${relative}`);
    try {
      const { path } = await this.#at(workspace, relative, 'path', { follow: false });
      if (!(await workspace.files.lstat(path))) throw new NotFoundError('file', `No such file or directory: ${relative}`);
      await workspace.files.remove(path, { recursive: true }).catch((error: unknown) => Promise.reject(fileError(error, 'path', relative)));
      await workspace.recordChange?.();
    } finally {
      workspace.release();
    }
  }

  /** Renames `from` to `to` (which must not exist; its parents are created). Answers the entry at `to`. */
  async move(em: EntityManager, userId: string, id: string, params: { from: string; to: string }): Promise<FileEntry> {
    const from = toWorkspacePath(params.from, 'from');
    const to = toWorkspacePath(params.to, 'to');
    if (from === '') throw invalidPath('from', 'the workspace root cannot be moved');
    if (to === '') throw invalidPath('to', 'the workspace root already exists');
    if (to === from || to.startsWith(`${from}/`)) throw invalidPath('to', 'cannot be the source or inside it');
    const workspace = await this.#open(em, userId, id, { create: false, write: true });
    if (!workspace) throw new NotFoundError('file', `No such file or directory: ${from}`);
    try {
      const source = await this.#at(workspace, from, 'from', { follow: false });
      const target = await this.#at(workspace, to, 'to', { follow: false });
      if (!(await workspace.files.lstat(source.path))) throw new NotFoundError('file', `No such file or directory: ${from}`);
      await workspace.files.move(source.path, target.path).catch((error: unknown) => Promise.reject(fileError(error, 'to', to)));
      await workspace.recordChange?.();
      const info = await workspace.files.lstat(target.path);
      if (!info) throw new NotFoundError('file', `No such file or directory: ${to}`);
      return toEntry(to, info);
    } finally {
      workspace.release();
    }
  }

  /** Creates a directory and its parents (the sandbox first, before the first message). Answers it and whether it is new. */
  async mkdir(em: EntityManager, userId: string, id: string, rawPath: string): Promise<{ entry: FileEntry; isCreated: boolean }> {
    const relative = toWorkspacePath(rawPath, 'path');
    return this.#withCreated(em, userId, id, async (workspace) => {
      const { path } = await this.#at(workspace, relative, 'path', { follow: true });
      const before = await workspace.files.lstat(path);
      await workspace.files.mkdir(path).catch((error: unknown) => Promise.reject(fileError(error, 'path', relative)));
      if (before === null) await workspace.recordChange?.();
      const info = await workspace.files.lstat(path);
      if (!info) throw new NotFoundError('file', `No such file or directory: ${shown(relative)}`);
      return { entry: toEntry(relative, { ...info, name: relative === '' ? 'workspace' : posix.basename(relative) }), isCreated: before === null };
    });
  }

  /** The directory at `path` (default: the whole workspace) as a `.tar.gz` stream, compressed as it is read. */
  async archive(em: EntityManager, userId: string, id: string, rawPath: string | undefined): Promise<Download> {
    const relative = toWorkspacePath(rawPath ?? '', 'path');
    const fileName = `${relative === '' ? 'workspace' : posix.basename(relative)}.tar.gz`;
    const workspace = await this.#open(em, userId, id, { create: false });
    if (!workspace) {
      if (relative !== '') throw new NotFoundError('file', `No such file or directory: ${relative}`);
      // No sandbox yet: the workspace is empty, and so is its archive.
      const gzip = createGzip();
      gzip.end();
      return { body: gzip, fileName, sizeBytes: undefined };
    }
    try {
      const { path } = await this.#at(workspace, relative, 'path', { follow: true });
      const tar = await workspace.files.archive(path).catch((error: unknown) => Promise.reject(fileError(error, 'path', relative)));
      const gzip = createGzip();
      tar.on('error', (error) => gzip.destroy(error));
      gzip.once('close', () => {
        tar.destroy();
        workspace.release();
      });
      tar.pipe(gzip);
      return { body: gzip, fileName, sizeBytes: undefined };
    } catch (error) {
      workspace.release();
      throw error;
    }
  }

  /** What differs from the conversation's baseline (see `computeChanges`); nothing before it has a sandbox. */
  async changes(em: EntityManager, userId: ConversationOwner, id: string): Promise<Changes> {
    const workspace = await this.#open(em, userId, id, { create: false });
    if (!workspace) return { baseline: null, data: [], truncated: false };
    try {
      // Read after opening: the baseline is taken when the first sandbox comes up.
      const { baselineAt } = await em.fork().findOneOrFail(ConversationEntity, { id }, { fields: ['baselineAt'] });
      const entries = await em.execute<{ path: string; size_bytes: string; mtime_ms: number; is_binary: boolean; has_content: boolean }[]>(
        'select path, size_bytes, mtime_ms, is_binary, content is not null as has_content from workspace_baseline_files where conversation_id = ?',
        [id],
      );
      const readBaseline = async (path: string) => {
        const [row] = await em.execute<{ content: Buffer | null }[]>('select content from workspace_baseline_files where conversation_id = ? and path = ?', [
          id,
          path,
        ]);
        return row?.content ? new Uint8Array(row.content) : null;
      };
      const root = await workspace.files.realpath(workspace.workdir);
      const baseline = entries.map((row) => ({
        path: row.path,
        sizeBytes: Number(row.size_bytes),
        mtimeMs: Number(row.mtime_ms),
        isBinary: row.is_binary,
        hasContent: row.has_content,
      }));
      const { data, truncated } = await computeChanges(workspace.files, root, baseline, readBaseline);
      return { baseline: baselineAt ? { kind: 'snapshot', created_at: baselineAt.toISOString() } : null, data, truncated };
    } finally {
      workspace.release();
    }
  }

  /**
   * The workspace files a message names (`attachments`), with their size and media type. Each must be a file (or a
   * link to one) inside the workspace: 400 naming `attachments.<i>.path` otherwise (`validation_error` when nothing is
   * there, `is_a_directory`, `invalid_path`). Answers them normalised (relative to the root), each once.
   */
  async describeAttachments(em: EntityManager, userId: ConversationOwner, id: string, attachments: readonly AttachmentParams[]): Promise<WorkspaceFile[]> {
    const relatives = attachments.map((attachment, index) => toWorkspacePath(attachment.path, `attachments.${index}.path`));
    const missing = (index: number) =>
      new InvalidRequestError(ErrorCode.validation, `attachments.${index}.path: no such file in the workspace: ${shown(relatives[index]!)} (upload it first)`, {
        details: [{ path: `attachments.${index}.path`, message: 'no such file in the workspace (upload it first)' }],
      });
    if (relatives.length === 0) return [];
    const workspace = await this.#open(em, userId, id, { create: false });
    if (!workspace) throw missing(0);
    try {
      const described: WorkspaceFile[] = [];
      for (const [index, relative] of relatives.entries()) {
        const field = `attachments.${index}.path`;
        if (relative === '') throw fileError(new IsDirectoryError(''), field, relative);
        const { path } = await this.#at(workspace, relative, field, { follow: true });
        const info = await workspace.files.lstat(path);
        if (!info) throw missing(index);
        if (info.kind === 'directory') throw fileError(new IsDirectoryError(path), field, relative);
        // Normalised paths, each once (`/workspace/a.csv` and `a.csv` are one file).
        if (!described.some((file) => file.path === relative)) described.push({ path: relative, size: info.sizeBytes, type: mediaTypeOf(relative) });
      }
      return described;
    } finally {
      workspace.release();
    }
  }

  /** A signed URL (valid 5 minutes, bound to the user) that downloads a file, or with `isArchive` a directory's `.tar.gz`. */
  async createDownloadUrl(em: EntityManager, userId: string, id: string, params: { path?: string; archive?: boolean }, baseUrl: string): Promise<DownloadUrl> {
    await this.#conversations.getOwned(em, userId, id);
    const isArchive = params.archive ?? false;
    if (!isArchive && (params.path === undefined || toWorkspacePath(params.path, 'path') === '')) {
      throw new InvalidRequestError(ErrorCode.validation, 'path is required for a file (or set archive: true)', {
        details: [{ path: 'path', message: 'is required unless archive is true' }],
      });
    }
    const path = toWorkspacePath(params.path ?? '', 'path');
    const expiresAt = Math.floor(Date.now() / 1000) + DOWNLOAD_URL_TTL_SECONDS;
    const token = signDownload(this.#downloadKey, { userId, conversationId: id, path, isArchive, expiresAt });
    return { url: `${baseUrl}/api/v1/downloads?token=${token}`, expires_at: new Date(expiresAt * 1000).toISOString() };
  }

  /** What a signed URL's token grants, for its owner (whose conversation it must still be). 401 `download_url_invalid` otherwise. */
  async redeemDownload(em: EntityManager, token: string): Promise<Download> {
    const grant: DownloadGrant | null = verifyDownload(this.#downloadKey, token);
    if (!grant) throw new AuthenticationError(ErrorCode.downloadUrlInvalid, 'This download link is invalid or has expired; ask for a new one');
    return grant.isArchive
      ? this.archive(em, grant.userId, grant.conversationId, grant.path)
      : this.download(em, grant.userId, grant.conversationId, grant.path);
  }

  /**
   * Opens the caller's conversation's workspace (`null`: no sandbox yet and `create` false). `create` (uploads, mkdir)
   * and `write` (delete, move) change files: refused with 409 `agent_deleted` when the conversation's agent was deleted
   * (the conversation is read-only; reads stay possible), and with 409 `conversation_busy` (`write`) while its
   * repository is being cloned.
   */
  async #open(em: EntityManager, userId: ConversationOwner, id: string, options: OpenOptions): Promise<WorkspaceHandle | null> {
    const conversation = await this.#conversations.getOwned(em, userId, id);
    if ((options.create || options.write) && conversation.agentId) {
      const refusal = await agentRefusal(em, conversation.agentId, AGENT_STATUSES);
      if (refusal) throw refusal;
    }
    return this.#workspaceOf(conversation, options);
  }

  async #workspaceOf(conversation: Conversation, options: OpenOptions): Promise<WorkspaceHandle | null> {
    if (!this.#workspaces) throw new Error('this app was built without a runner');
    if (options.write && isCloning(conversation)) {
      throw new ConflictError(ErrorCode.conversationBusy, "The conversation's repository is being cloned; change its files once it is in", {
        retryAfterSeconds: 2,
      });
    }
    try {
      return await this.#workspaces.open(conversation, { create: options.create });
    } catch (error) {
      throw fileError(error, 'path', '');
    }
  }

  /** Runs `fn` on the open workspace and releases it; `empty` when the conversation has no sandbox yet. */
  async #withExisting<T>(em: EntityManager, userId: ConversationOwner, id: string, empty: T, fn: (workspace: WorkspaceHandle) => Promise<T>): Promise<T> {
    const workspace = await this.#open(em, userId, id, { create: false });
    if (!workspace) return empty;
    try {
      return await fn(workspace);
    } finally {
      workspace.release();
    }
  }

  /** Runs `fn` on the workspace (to write), creating the conversation's sandbox when it has none, and releases it. */
  async #withCreated<T>(em: EntityManager, userId: ConversationOwner, id: string, fn: (workspace: WorkspaceHandle) => Promise<T>): Promise<T> {
    const workspace = await this.#open(em, userId, id, { create: true, write: true });
    if (!workspace) throw new Error('opening a workspace with create: true answered none');
    try {
      return await fn(workspace);
    } finally {
      workspace.release();
    }
  }

  /**
   * The sandbox path of `relative`, with every symlink resolved (the last one only when `follow`), refused with
   * `invalid_path` naming `field` when it lands outside the workspace.
   */
  async #at(workspace: WorkspaceHandle, relative: string, field: string, options: { follow: boolean }): Promise<Located> {
    const { files, workdir } = workspace;
    const root = await files.realpath(workdir);
    const lexical = inWorkdir(workdir, relative);
    const realpath = (path: string) =>
      files
        .realpath(path)
        .catch((error: unknown) => Promise.reject(error instanceof SymlinkLoopError ? invalidPath(field, 'meets a loop of symbolic links') : error));
    const path = options.follow || relative === '' ? await realpath(lexical) : posix.join(await realpath(posix.dirname(lexical)), posix.basename(lexical));
    if (!insideWorkspace(root, path)) throw invalidPath(field, 'leads outside the workspace through a symlink');
    return { path, relative };
  }
}

import * as z from 'zod/mini';
import { openEnum, TimestampSchema } from './common.ts';

/**
 * A path in a conversation's workspace, relative to its root (`src/app.py`); `/workspace/…` is accepted as an alias of
 * the root. Absolute paths elsewhere, `..` that leaves the root, and symlinks whose target leaves it are refused with
 * `invalid_path`. Empty (or `.`) means the root where a directory is meant.
 */
export const WorkspacePathSchema = z.string().check(z.maxLength(4096));

/** What an entry is; a symlink is reported as itself. */
export const FILE_TYPES = ['file', 'directory', 'symlink', 'other'] as const;
export type FileType = (typeof FILE_TYPES)[number];

/** One entry of a workspace directory. */
export const FileEntrySchema = z.object({
  /** Base name. */
  name: z.string(),
  /** Path relative to the workspace root. */
  path: z.string(),
  type: openEnum(FILE_TYPES),
  /** Bytes (of the link itself for a symlink). */
  size: z.number(),
  /** Last modification. */
  mtime: TimestampSchema,
});
export type FileEntry = z.infer<typeof FileEntrySchema>;

/** `GET …/files`: a directory's entries sorted by name, paged by `after=<name>` (exclusive). */
export const FileListParamsSchema = z.strictObject({
  path: z.optional(WorkspacePathSchema),
  after: z.optional(z.string().check(z.maxLength(4096))),
  limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000))),
});
export type FileListParams = z.output<typeof FileListParamsSchema>;

/** `?path=` of the routes on one file or directory (`files/content`, `DELETE files`). */
export const FilePathParamsSchema = z.strictObject({
  path: WorkspacePathSchema.check(z.minLength(1, 'is required')),
});
export type FilePathParams = z.input<typeof FilePathParamsSchema>;

/** `?path=` of `GET …/archive`: a directory (default: the whole workspace). */
export const ArchiveParamsSchema = z.strictObject({
  path: z.optional(WorkspacePathSchema),
});
export type ArchiveParams = z.input<typeof ArchiveParamsSchema>;

/** `POST …/files/move`: `to` must not exist; its missing parents are created. */
export const FileMoveParamsSchema = z.strictObject({
  from: WorkspacePathSchema.check(z.minLength(1, 'is required')),
  to: WorkspacePathSchema.check(z.minLength(1, 'is required')),
});
export type FileMoveParams = z.input<typeof FileMoveParamsSchema>;

/** `POST …/files/mkdir`: creates the directory and its missing parents. */
export const FileMkdirParamsSchema = z.strictObject({
  path: WorkspacePathSchema.check(z.minLength(1, 'is required')),
});
export type FileMkdirParams = z.input<typeof FileMkdirParamsSchema>;

/**
 * `POST …/files/download-url`: a link for one file (`path`), or with `archive: true` for the `.tar.gz` of a directory
 * (`path`, default the whole workspace).
 */
export const DownloadUrlParamsSchema = z.strictObject({
  path: z.optional(WorkspacePathSchema),
  archive: z.optional(z.boolean()),
});
export type DownloadUrlParams = z.input<typeof DownloadUrlParamsSchema>;

/** A signed link that downloads without an `Authorization` header (for `<a href>`), valid until `expires_at` (≤ 5 min). */
export const DownloadUrlSchema = z.object({
  url: z.string(),
  expires_at: TimestampSchema,
});
export type DownloadUrl = z.infer<typeof DownloadUrlSchema>;

/**
 * A workspace file as a message or a `workspace` event names it: its path (relative to the workspace root), its size
 * and its media type (from the extension, `application/octet-stream` when unknown).
 */
export const WorkspaceFileSchema = z.object({
  path: z.string(),
  /** Bytes. */
  size: z.number(),
  /** Media type from the extension (`application/pdf`, `text/markdown`, …). */
  type: z.string(),
});
export type WorkspaceFile = z.infer<typeof WorkspaceFileSchema>;

/** One file named by `attachments` of `POST …/messages`: it must exist in the workspace (upload it first). */
export const AttachmentParamsSchema = z.strictObject({ path: WorkspacePathSchema.check(z.minLength(1, 'is required')) });
export type AttachmentParams = z.input<typeof AttachmentParamsSchema>;

/** What a conversation's repository is doing: being cloned, cloned (`ready`), or its clone failed or was stopped. */
export const REPOSITORY_STATUSES = ['cloning', 'ready', 'failed'] as const;
export type RepositoryStatus = (typeof REPOSITORY_STATUSES)[number];

/**
 * The repository a conversation started from, as responses and events show it: never a credential (the token stays a
 * secret's name on the server, and URLs with credentials are refused).
 */
export const RepositorySchema = z.object({
  /** The clone URL (`https://…`, without credentials). */
  url: z.string(),
  /** The branch or tag asked for; `null`: the remote's default branch. */
  ref: z.nullable(z.string()),
  /** Commits of history fetched (1: only the tip). */
  depth: z.number(),
  /** The commit checked out (the baseline of `GET …/changes`); `null` until the clone is done. */
  commit: z.nullable(z.string()),
  status: openEnum(REPOSITORY_STATUSES),
});
export type Repository = z.infer<typeof RepositorySchema>;

/** A file of the repository's instructions for agents (`AGENTS.md`, `.openhands/microagents/repo.md`) a run loaded. */
export const InstructionFileSchema = z.object({
  path: z.string(),
  /** Bytes of the whole file. */
  size: z.number(),
  /** Only its first 16 KiB were loaded. */
  truncated: z.boolean(),
  /** SHA-256 (hex) of what was loaded. */
  sha256: z.string(),
});
export type InstructionFile = z.infer<typeof InstructionFileSchema>;

export const FILE_CHANGE_STATUSES = ['added', 'modified', 'deleted'] as const;
export type FileChangeStatus = (typeof FILE_CHANGE_STATUSES)[number];

/** A file one step (a bash command) added, modified or deleted in the workspace. */
export const ChangedFileSchema = z.object({
  /** Relative to the workspace root. */
  path: z.string(),
  status: openEnum(FILE_CHANGE_STATUSES),
});
export type ChangedFile = z.infer<typeof ChangedFileSchema>;

/** One file that differs from the conversation's baseline. */
export const FileChangeSchema = z.object({
  path: z.string(),
  status: openEnum(FILE_CHANGE_STATUSES),
  /** Binary content (a NUL byte in its first 8 KiB): no diff. */
  binary: z.boolean(),
  /**
   * Unified diff from the baseline (`a/<path>`) to now (`b/<path>`); `null` for binary files and when the file is too
   * large to compare.
   */
  diff: z.nullable(z.string()),
  /** The diff was cut at the size cap (it ends with a marker line), or left out (`diff: null`) because of it. */
  truncated: z.boolean(),
});
export type FileChange = z.infer<typeof FileChangeSchema>;

/**
 * `GET …/changes`: what differs from the baseline — the workspace when the conversation's sandbox was created — sorted
 * by path; `.git/` and what `.gitignore` files ignore are left out. `baseline` is `null` before the conversation has a
 * sandbox (nothing changed yet).
 */
export const ChangesSchema = z.object({
  baseline: z.nullable(
    z.object({
      kind: openEnum(['snapshot']),
      created_at: TimestampSchema,
    }),
  ),
  data: z.array(FileChangeSchema),
  /** More files changed than one answer lists (the first ones by path are listed). */
  truncated: z.boolean(),
});
export type Changes = z.infer<typeof ChangesSchema>;

/** `GET /server-info` (public): what this server offers, so clients need not guess. */
export const ServerInfoSchema = z.object({
  version: z.string(),
  /** `POST /auth/register` is open. */
  registration_open: z.boolean(),
  /** The server has an LLM of its own (`LLM_MODEL` with a key or its own endpoint): users need not bring one. */
  llm_configured: z.boolean(),
  /** Largest upload (`PUT …/files/content`), bytes. */
  upload_limit_bytes: z.number(),
  /** Largest conversation import (`POST /conversations/import`), bytes. */
  import_limit_bytes: z.number(),
  /** Where agents' commands run; `null` when this server runs no agents. */
  sandbox_driver: z.nullable(openEnum(['docker', 'local'])),
  /** Images (or `*` patterns) agents may name as `sandbox_image` (`["*"]`: any); `null` from servers that had no policy. */
  sandbox_allowed_images: z.nullable(z.array(z.string())),
  /** The address browsers reach the server at (`PUBLIC_URL`), for embed snippets and links; `null` when not set. */
  public_url: z.optional(z.nullable(z.string())),
});
export type ServerInfo = z.infer<typeof ServerInfoSchema>;

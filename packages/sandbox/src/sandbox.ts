import type { Readable } from 'node:stream';

/**
 * The one interface every driver implements. `shell/`, `editor/` and `files/`
 * never know which driver they run on.
 */

export type SandboxDriverName = 'docker' | 'local';

/**
 * What a sandbox's network may reach. `egress` (the default): the public internet only — not another sandbox, the host,
 * private ranges or metadata addresses (Docker: our own bridge network and host rules; see docs/sandbox.md). `none`:
 * nothing (loopback only). The local driver cannot enforce either and accepts only `egress`.
 */
export type NetworkPolicy = 'none' | 'egress';

export type FileKind = 'file' | 'directory' | 'other';

export interface FileStat {
  kind: FileKind;
  sizeBytes: number;
}

export interface DirEntry {
  name: string;
  kind: FileKind;
}

/** What is at a path when a final symlink is not followed (`lstat`). */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'other';

/** Metadata of one entry, as `lstat` reports it (a symlink is reported as itself, not as its target). */
export interface FileInfo {
  /** Base name of the entry. */
  name: string;
  kind: EntryKind;
  /** Size in bytes (of the link itself for a symlink). */
  sizeBytes: number;
  /** Last modification, in milliseconds since the epoch. */
  mtimeMs: number;
  /** Permission bits (`0o644`, `0o755`, …). */
  mode: number;
}

/** One entry of a recursive listing (`walk`). */
export interface TreeEntry extends FileInfo {
  /** Path relative to the walked directory, `/`-separated, without a leading `./`. */
  path: string;
  /** A symlink's target as stored in the link (`readlink`, not resolved); absent for other kinds. */
  linkTarget?: string;
  /**
   * The entry's inode number (`find -printf %i`, `lstat`'s `ino`): with size, mtime and mode, what tells a file that
   * was replaced (`mv`, `cp -p`) from the same file.
   */
  inode: number;
  /**
   * Last status change (`ctime`), in milliseconds since the epoch on the sandbox's clock: moves with every change of
   * content, mode, name or link count, and cannot be set back by the sandbox user (`touch -d`, `cp -p` and `tar x` set
   * `mtime` only).
   */
  ctimeMs: number;
}

export interface WalkOptions {
  /** Directory names that are listed nowhere and not entered, at any depth (e.g. `['.git']`). */
  prune?: readonly string[];
}

export interface ScanOptions {
  /**
   * List only what changed after this instant (milliseconds since the epoch, the sandbox's clock; a former scan's
   * `clockMs`, less a margin for the kernel's coarse file timestamps): every entry whose `ctimeMs` is later, and every
   * entry directly inside a directory whose `ctimeMs` is later (an entry made, removed or renamed in a directory moves
   * its `ctime`). Absent: every entry.
   */
  changedAfterMs?: number;
}

/** What `scan` answers. */
export interface ScanResult {
  /** The sandbox's clock as the scan started, in milliseconds since the epoch. */
  clockMs: number;
  /** The entries listed (see `ScanOptions`), as `walk` reports them; order unspecified. */
  entries: TreeEntry[];
  /**
   * Directories whose every direct entry is in `entries` (relative paths as in `entries`; `''` for the scanned directory
   * itself): without `changedAfterMs`, every directory.
   */
  listedDirectories: string[];
}

/** What a `ChangeWatch` reports: like a `scan` with `changedAfterMs`, plus the paths it saw disappear. */
export interface WatchedChanges extends ScanResult {
  /**
   * Paths (relative, as in `entries`) that no longer exist; everything that was under a removed directory is gone with
   * it. A path may be removed and then listed again in `entries` (made anew since): `entries` wins.
   */
  removedPaths: string[];
}

/**
 * A directory watched through the kernel's change notifications (Linux inotify, one watch per directory), so that a
 * listing of it can be kept up to date without walking it: `changes()` lstat's only the paths events named. Made by
 * `SandboxFiles.watch`; `close()` it when done (each directory holds one of the user's inotify watches).
 */
export interface ChangeWatch {
  /**
   * What changed under the directory since the watch started (`start`'s listing) or since the previous call, for
   * `applyScan`-style merging: changed or new entries (a new directory with everything in it, each listed in
   * `listedDirectories`) and `removedPaths`. `clockMs` is the host's clock as the events were collected. `null` when
   * the watch can no longer tell (a notification queue that may have overflowed, a watch that could not be added, the
   * directory itself replaced or gone): the caller lists the directory whole, and the watch is closed.
   */
  changes(): Promise<WatchedChanges | null>;
  /** Stops watching (idempotent). */
  close(): void;
}

/** A started `ChangeWatch` and the whole listing of its directory taken after its first watch was in place. */
export interface StartedWatch {
  watch: ChangeWatch;
  /** Every entry under the directory, as `scan(path)` without options answers. */
  listing: ScanResult;
}

export interface WatchOptions {
  /** Most directories to watch (one inotify watch each); a larger tree is not watched (`watch` answers `null`). */
  maxDirectories?: number;
}

export interface WriteStreamOptions {
  /**
   * Exact length of the source in bytes, known up front (the Docker driver writes it into a tar header before the
   * data). A source that ends early, runs over or fails makes the write fail, and nothing is left behind.
   */
  sizeBytes: number;
}

export interface RemoveOptions {
  /** Also remove a directory with everything in it (`rm -r`). Without it, only files, links and empty directories. */
  recursive?: boolean;
}

/**
 * File access inside a sandbox, whole files or streamed. Paths are absolute paths inside the sandbox. The Docker driver
 * goes through the Engine API (tar over HTTP) and short `docker exec`s as the sandbox user, so it works whatever the
 * agent's shell is doing; written files and created directories belong to the sandbox user.
 */
export interface SandboxFiles {
  /** `null` when nothing exists at `path`. Follows symlinks. */
  stat(path: string): Promise<FileStat | null>;
  /** Metadata of what is at `path` without following a final symlink; `null` when nothing exists there. */
  lstat(path: string): Promise<FileInfo | null>;
  /**
   * `path` with every symlink resolved, in every component; a part that does not exist yet is kept as written (like
   * `realpath -m`). Throws `SandboxError` on a symlink loop.
   */
  realpath(path: string): Promise<string>;
  readFile(path: string): Promise<Uint8Array>;
  /**
   * The bytes of a file as a stream, read as the consumer reads (nothing is held whole). Follows symlinks. Throws
   * `SandboxFileNotFoundError` when nothing exists at `path` and `IsDirectoryError` for a directory.
   */
  readFileStream(path: string): Promise<Readable>;
  /** Creates missing parent directories; the file is owned by the sandbox user. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /**
   * Streams `source` into a file: written under a temporary name beside it and renamed over `path` once complete,
   * so a failed or short source leaves nothing behind and readers never see half a file. Missing parents are
   * created; a replaced file keeps its permission bits; written through a symlink, its target is replaced. Throws
   * `IsDirectoryError` when `path` is a directory. Answers the written file's metadata.
   */
  writeFileStream(path: string, source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, options: WriteStreamOptions): Promise<FileInfo>;
  /** Entries directly inside `path` (not recursive), hidden ones included. Follows symlinks to report kinds. */
  readDir(path: string): Promise<DirEntry[]>;
  /**
   * Entries directly inside `path` with their metadata, hidden ones included, symlinks reported as `symlink`. Throws
   * `SandboxFileNotFoundError` or `NotDirectoryError`.
   */
  list(path: string): Promise<FileInfo[]>;
  /** Every entry under `path`, recursively (symlinks are not followed); order unspecified. Same errors as `list`. */
  walk(path: string, options?: WalkOptions): Promise<TreeEntry[]>;
  /**
   * A listing of `path` (symlinks not followed) for keeping a copy of a tree up to date at little cost: with
   * `changedAfterMs`, only what changed after it (see `ScanOptions`). Directories moved in from elsewhere keep the
   * `ctime` of their entries: the caller walks a directory it did not know before that is not in `listedDirectories`.
   * Same errors as `list`.
   */
  scan(path: string, options?: ScanOptions): Promise<ScanResult>;
  /**
   * Starts watching the directory `path` for changes through the kernel (see `ChangeWatch`), and lists it whole.
   * `null` when this driver cannot watch it from this process: on Docker, the workspace volume's directory on the
   * engine's host must be readable here (a server on the engine's host, as root); the local driver always can, up to
   * `maxDirectories`. Optional: drivers without it are scanned. Throws `SandboxFileNotFoundError` or
   * `NotDirectoryError` as `list` does.
   */
  watch?(path: string, options?: WatchOptions): Promise<StartedWatch | null>;
  /** Deletes what is at `path`; nothing happens when it is already gone. */
  remove(path: string, options?: RemoveOptions): Promise<void>;
  /**
   * Renames `from` to `to` (files, links and whole directories), creating the missing parents of `to`. Throws
   * `SandboxFileNotFoundError` when `from` does not exist and `FileExistsError` when `to` does.
   */
  move(from: string, to: string): Promise<void>;
  /** Creates a directory and its missing parents; an existing directory is fine, anything else there is `NotDirectoryError`. */
  mkdir(path: string): Promise<void>;
  /**
   * A tar stream of the directory `path` (entries start with its base name, e.g. `workspace/src/a.ts`; symlinks
   * archived as links), produced as the consumer reads. Throws `SandboxFileNotFoundError` or `NotDirectoryError`.
   */
  archive(path: string): Promise<Readable>;
  /** Copies a host directory into the sandbox (tar). */
  uploadDir(hostDir: string, sandboxDir: string): Promise<void>;
  /** Copies a sandbox directory to the host (tar). */
  downloadDir(sandboxDir: string, hostDir: string): Promise<void>;
}

/** The commands of OpenHands' `str_replace_editor` tool, in the order its description lists them. */
export const EDITOR_COMMANDS = ['view', 'create', 'str_replace', 'insert', 'undo_edit'] as const;

export type EditorCommand = (typeof EDITOR_COMMANDS)[number];

/** Parameters of OpenHands' `str_replace_editor` tool, as the model sends them. */
export interface EditorParams {
  command: EditorCommand;
  path: string;
  file_text?: string;
  old_str?: string;
  new_str?: string;
  insert_line?: number;
  view_range?: [number, number];
}

/** What the model reads back. `isError` marks a refused command (nothing changed). */
export interface EditorObservation {
  isError: boolean;
  output: string;
}

export interface Editor {
  run(params: EditorParams): Promise<EditorObservation>;
}

// ---------------------------------------------------------------------------
// The persistent shell (OpenHands' `execute_bash`)
// ---------------------------------------------------------------------------

/**
 * Arguments of OpenHands' CodeAct `execute_bash` tool, as the model sends them. `is_input` and
 * `timeout` may arrive as strings ("true", "30") or as their typed values.
 */
export interface ExecuteBashParams {
  /** The command; empty to read more output of the running command; with `is_input`, text or a key (`C-c`). */
  command: string;
  /** "true" sends `command` to the running process instead of starting a new command. */
  is_input?: 'true' | 'false' | boolean;
  /** Hard timeout in seconds. When set, the no-output timeout does not apply (as in OpenHands). */
  timeout?: number | string;
}

/**
 * - `completed`: the command finished; `exitCode` is set.
 * - `interrupted`: finished after a key (`C-c`, `C-z`, `C-d`) was sent; `exitCode` is set.
 * - `still_running`: no new output for the no-output timeout; the command keeps running.
 * - `timeout`: the hard timeout passed; the command keeps running.
 * - `refused`: nothing was sent (a command is still running, or there is nothing to read from).
 * - `shell_restarted`: the shell itself exited (`exit`, killed); the next command gets a fresh shell.
 */
export type ExecuteBashStatus = 'completed' | 'interrupted' | 'still_running' | 'timeout' | 'refused' | 'shell_restarted';

export interface ExecuteBashResult {
  status: ExecuteBashStatus;
  /**
   * Output since the last observation as a terminal shows it (rendered: carriage returns,
   * backspaces, erases and cursor moves applied, colours gone, soft-wrapped lines joined).
   * When it is longer than `maxOutputChars`, its first and last lines are kept and a note line
   * between them says which lines were left out and where the full output is saved.
   */
  output: string;
  /** Exit code of the finished command, `null` while it runs (or when refused). */
  exitCode: number | null;
  /** The shell's working directory as last reported. */
  cwd: string;
  /** Characters of the output left out of `output` (0 when nothing was cut). */
  cutChars: number;
  /** Lines left out between the head and the tail of `output` (0 when none). */
  omittedLines: number;
  /** Path inside the sandbox of the file holding the full output, when `output` was cut and it was saved. */
  fullOutputPath: string | null;
  /** What the model should read: output plus OpenHands-style notes. */
  text: string;
}

export interface ExecuteBashOptions {
  /** Raw output chunks (may include ANSI sequences) as they arrive, while this call waits. */
  onOutput?: (chunk: string) => void;
}

/** One persistent bash per sandbox: environment, cwd and background jobs survive between commands. */
export interface Shell {
  execute(params: ExecuteBashParams, options?: ExecuteBashOptions): Promise<ExecuteBashResult>;
  /** Sends C-c to the foreground job now, even while an `execute` call is waiting (a UI's stop button). */
  interrupt(): void;
  /**
   * Every raw output chunk of the shell from now on, whether or not a call is waiting (a UI's live
   * view of a command that went on running after `still_running`). Returns the unsubscribe function.
   */
  subscribe(listener: (chunk: string) => void): () => void;
  /** Working directory as last reported by the shell. */
  readonly cwd: string;
}

export interface ShellOptions {
  /** A command with no new output for this long returns as `still_running` (default 30 000). */
  noOutputTimeoutMs?: number;
  /** Hard timeout when the call gives none (default 120 000). */
  defaultTimeoutMs?: number;
  /**
   * Budget of `output` in one observation, in characters (default 30 000, as OpenHands). Longer
   * output keeps its first `outputHeadChars` and its last `maxOutputChars - outputHeadChars`
   * characters, cut on line boundaries; a single line longer than the smaller of the two is
   * shown cut.
   */
  maxOutputChars?: number;
  /** Characters of the head of a cut output (default half of `maxOutputChars`). */
  outputHeadChars?: number;
  /**
   * Most UTF-8 bytes of a cut output saved to the full-output file (default 10 MiB); longer
   * output keeps its first lines up to this size there.
   */
  fullOutputMaxBytes?: number;
}

// ---------------------------------------------------------------------------
// Sandboxes
// ---------------------------------------------------------------------------

export type SandboxState = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing' | 'stopped';

export interface SandboxInfo {
  id: string;
  driver: SandboxDriverName;
  state: SandboxState;
  image: string | null;
  owner: string | null;
  conversationId: string | null;
  labels: Record<string, string>;
  createdAt: Date;
  workdir: string;
  /** The workspace the sandbox keeps its files in (see `Sandbox.workspace`); `null` for a Docker sandbox made before workspaces existed. */
  workspace: string | null;
}

export interface Sandbox {
  readonly id: string;
  readonly driver: SandboxDriverName;
  /** Where the agent works: `/workspace` in Docker, a per-sandbox directory for the local driver. */
  readonly workdir: string;
  /**
   * Where `workdir`'s files live, by name. Docker: a named volume (`metisai-ws-…`) mounted at `/workspace`, which
   * outlives the container: a sandbox created with the same `workspace` sees the same files. Local: the sandbox's own
   * directory (its id); it goes with the sandbox.
   */
  readonly workspace: string;
  readonly shell: Shell;
  readonly files: SandboxFiles;
  readonly editor: Editor;
  /** The network policy the sandbox has now. */
  readonly network: NetworkPolicy;
  /** Exports variables into the shell (and restores them after a reconnect). */
  setEnv(vars: Record<string, string>): Promise<void>;
  /**
   * Moves the sandbox to another network policy while it runs (Docker: off one network, onto the other). The local
   * driver refuses anything but `egress` with `InvalidArgumentError`.
   */
  setNetwork(policy: NetworkPolicy): Promise<void>;
  info(): Promise<SandboxInfo>;
  /** Closes the shell connection; the sandbox keeps running and can be reached with the driver's `connect(id)`. */
  disconnect(): Promise<void>;
  /** Ends the shell and every process of the sandbox; its files stay, and the driver's `connect(id)` starts it again. */
  stop(): Promise<void>;
  /** Ends the sandbox and deletes its files; nothing happens when it is already gone. */
  remove(): Promise<void>;
}

/** Owner label of a driver's sandboxes when its options give none. */
export const DEFAULT_OWNER = 'metisai';

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

/** Whole-file and directory access inside a sandbox. Paths are absolute paths inside the sandbox. */
export interface SandboxFiles {
  /** `null` when nothing exists at `path`. */
  stat(path: string): Promise<FileStat | null>;
  readFile(path: string): Promise<Uint8Array>;
  /** Creates missing parent directories; the file is owned by the sandbox user. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Entries directly inside `path` (not recursive), hidden ones included. */
  readDir(path: string): Promise<DirEntry[]>;
  /** Copies a host directory into the sandbox (tar). */
  uploadDir(hostDir: string, sandboxDir: string): Promise<void>;
  /** Copies a sandbox directory to the host (tar). */
  downloadDir(sandboxDir: string, hostDir: string): Promise<void>;
}

/** Parameters of OpenHands' `str_replace_editor` tool, as the model sends them. */
export interface EditorParams {
  command: 'view' | 'create' | 'str_replace' | 'insert' | 'undo_edit';
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
  /** Output since the last observation, ANSI-stripped; only the end is kept when it is too long. */
  output: string;
  /** Exit code of the finished command, `null` while it runs (or when refused). */
  exitCode: number | null;
  /** The shell's working directory as last reported. */
  cwd: string;
  /** Characters cut from the start of `output` (0 when nothing was cut). */
  cutChars: number;
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
  /** Longest `output` in one observation; the end is kept (default 30 000 characters). */
  maxOutputChars?: number;
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
}

export interface Sandbox {
  readonly id: string;
  readonly driver: SandboxDriverName;
  /** Where the agent works: `/workspace` in Docker, a per-sandbox directory for the local driver. */
  readonly workdir: string;
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

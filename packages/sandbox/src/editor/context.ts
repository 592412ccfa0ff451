import type { SandboxFiles } from '../sandbox.ts';
import type { FileHistory } from './history.ts';

export interface EditorLimits {
  /** Largest file that can be edited or viewed whole. */
  maxFileBytes: number;
  /** Largest file that `view` with a `view_range` will still read. */
  maxRangeFileBytes: number;
  /** Budget for file content or a directory listing in one observation. */
  maxOutputChars: number;
}

/** What every command gets: the sandbox's files, the undo history and the limits. */
export interface EditorContext {
  files: SandboxFiles;
  history: FileHistory;
  limits: EditorLimits;
  /** Deletes a file; lets `undo_edit` take back a `create`. */
  removeFile: ((path: string) => Promise<void>) | undefined;
}

import type { Editor, EditorObservation, EditorParams, SandboxFiles } from '../sandbox.ts';
import type { EditorContext } from './context.ts';
import { create } from './create.ts';
import { describeError, ToolError } from './errors.ts';
import { FileHistory } from './history.ts';
import { insert } from './insert.ts';
import { parseParams } from './params.ts';
import { strReplace } from './str-replace.ts';
import { undoEdit } from './undo.ts';
import { checkPath } from './validate-path.ts';
import { view } from './view.ts';

export interface EditorOptions {
  /** The sandbox's working directory, used to suggest an absolute path for a relative one. */
  workdir?: string;
  /** A path that stands for `workdir` (the local driver: `/workspace`, as in Docker sandboxes); none by default. */
  workspaceAlias?: string;
  /** Largest file that can be edited or viewed whole (default 10 MiB). */
  maxFileBytes?: number;
  /** Largest file `view` with a `view_range` still reads (default 5 × maxFileBytes). */
  maxRangeFileBytes?: number;
  /** Budget for file content or a directory listing in one observation (default 16 000, as OpenHands). */
  maxOutputChars?: number;
  /** Undo steps kept per file (default 10, as OpenHands). */
  maxHistoryPerFile?: number;
  /**
   * Deletes a file, so `undo_edit` can take back a `create`. Defaults to `files.remove` when the
   * files object has one (HostFileSystem does); without it, undoing a `create` tells the model to `rm`.
   */
  removeFile?: (path: string) => Promise<void>;
}

const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
const DEFAULT_MAX_OUTPUT_CHARS = 16_000;
const DEFAULT_MAX_HISTORY_PER_FILE = 10;

function removerOf(files: SandboxFiles): ((path: string) => Promise<void>) | undefined {
  const remove = (files as Partial<{ remove: (path: string) => Promise<void> }>).remove;
  return typeof remove === 'function' ? (path) => remove.call(files, path) : undefined;
}

/**
 * OpenHands' `str_replace_editor`, working only through `SandboxFiles` so it behaves the same on
 * every driver. Commands run one at a time; a refused command changes nothing and returns
 * `isError: true` with a message that tells the model what to do next.
 */
export function createEditor(files: SandboxFiles, options: EditorOptions = {}): Editor {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const ctx: EditorContext = {
    files,
    history: new FileHistory(options.maxHistoryPerFile ?? DEFAULT_MAX_HISTORY_PER_FILE),
    limits: {
      maxFileBytes,
      maxRangeFileBytes: options.maxRangeFileBytes ?? maxFileBytes * 5,
      maxOutputChars: options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS,
    },
    removeFile: options.removeFile ?? removerOf(files),
  };

  async function execute(params: EditorParams): Promise<string> {
    const parsed = parseParams(params, options.workdir, options.workspaceAlias);
    const stat = await checkPath(ctx, parsed.command, parsed.path);
    switch (parsed.command) {
      case 'create':
        return create(ctx, parsed.path, parsed.fileText);
      case 'undo_edit':
        return undoEdit(ctx, parsed.path);
    }
    // checkPath returns a stat for every command but `create`.
    if (!stat) throw new ToolError(`The path ${parsed.path} does not exist. Please provide a valid path.`);
    switch (parsed.command) {
      case 'view':
        return view(ctx, parsed.path, stat, parsed.range);
      case 'str_replace':
        return strReplace(ctx, parsed.path, stat, parsed.oldStr, parsed.newStr);
      case 'insert':
        return insert(ctx, parsed.path, stat, parsed.line, parsed.newStr);
    }
  }

  async function runOne(params: EditorParams): Promise<EditorObservation> {
    try {
      return { isError: false, output: await execute(params) };
    } catch (err) {
      if (err instanceof ToolError) return { isError: true, output: err.message };
      const what = typeof params?.path === 'string' ? ` on ${params.path}` : '';
      return {
        isError: true,
        output: `Ran into an error while running \`${String(params?.command)}\`${what}: ${describeError(err)}`,
      };
    }
  }

  // One command at a time, so two edits of a file never read the same old content.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    run(params) {
      const result = queue.then(() => runOne(params));
      queue = result;
      return result;
    },
  };
}

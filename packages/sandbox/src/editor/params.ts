import { EDITOR_COMMANDS, type EditorCommand, type EditorParams } from '../sandbox.ts';
import { invalidParameter, missingParameter, ToolError } from './errors.ts';
import { toInteger } from './text.ts';
import { normalizePath } from './validate-path.ts';

/** A command with its parameters checked and typed; `path` is absolute and normalised. */
export type ParsedCommand =
  | { command: 'view'; path: string; range: [number, number] | null }
  | { command: 'create'; path: string; fileText: string }
  | { command: 'str_replace'; path: string; oldStr: string; newStr: string }
  | { command: 'insert'; path: string; line: number; newStr: string }
  | { command: 'undo_edit'; path: string };

/** Parameters as the model may send them: any JSON value in any field. */
type RawParams = { [K in keyof EditorParams]?: unknown };

const RANGE_SHAPE_HINT = 'It should be a list of two integers, e.g. [1, 50]; use -1 as the second element to view to the end of the file.';

/** Reads `view_range`; `null` when absent or empty (as OpenHands treats `[]`). */
export function parseViewRange(raw: unknown): [number, number] | null {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) return null;
  if (Array.isArray(raw) && raw.length === 2) {
    const start = toInteger(raw[0]);
    const end = toInteger(raw[1]);
    if (start !== null && end !== null) return [start, end];
  }
  throw invalidParameter('view_range', JSON.stringify(raw) ?? String(raw), RANGE_SHAPE_HINT);
}

function requireString(command: string, name: keyof EditorParams, value: unknown): string {
  if (value === undefined || value === null) throw missingParameter(command, name);
  if (typeof value !== 'string') throw invalidParameter(name, JSON.stringify(value) ?? String(value), 'It should be a string.');
  return value;
}

const isEditorCommand = (value: string): value is EditorCommand => (EDITOR_COMMANDS as readonly string[]).includes(value);

/** Checks everything that needs no file access: the command, the path and the command's parameters. */
export function parseParams(params: EditorParams, workdir: string | undefined, workspaceAlias?: string): ParsedCommand {
  const raw = params as RawParams;
  const command = raw.command;
  if (typeof command !== 'string' || !isEditorCommand(command)) {
    throw new ToolError(`Unrecognized command ${String(command)}. The allowed commands for the str_replace_editor tool are: ${EDITOR_COMMANDS.join(', ')}.`);
  }
  const path = normalizePath(raw.path, command, workdir, workspaceAlias);
  switch (command) {
    case 'view':
      return { command: 'view', path, range: parseViewRange(raw.view_range) };
    case 'create':
      return { command: 'create', path, fileText: requireString(command, 'file_text', raw.file_text) };
    case 'str_replace': {
      const oldStr = requireString(command, 'old_str', raw.old_str);
      const newStr = raw.new_str === undefined || raw.new_str === null ? '' : requireString(command, 'new_str', raw.new_str);
      return { command: 'str_replace', path, oldStr, newStr };
    }
    case 'insert': {
      if (raw.insert_line === undefined || raw.insert_line === null) throw missingParameter(command, 'insert_line');
      const line = toInteger(raw.insert_line);
      if (line === null) throw invalidParameter('insert_line', JSON.stringify(raw.insert_line) ?? '', 'It should be an integer.');
      return { command: 'insert', path, line, newStr: requireString(command, 'new_str', raw.new_str) };
    }
    case 'undo_edit':
      return { command: 'undo_edit', path };
  }
}

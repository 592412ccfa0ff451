/** Output formatting shared by the commands: `cat -n` numbering, snippets and truncation notices. */

import { headOf } from '../text/cut-text.ts';
import { splitLines } from './text.ts';

/** Lines of context shown above and below an edit (OpenHands' SNIPPET_CONTEXT_WINDOW). */
export const SNIPPET_CONTEXT_LINES = 4;

/** How many line numbers an error lists before summarising the rest. */
const MAX_LISTED_LINES = 50;
/** How much of a model-sent string an error message echoes back. */
const MAX_ECHO_CHARS = 2_000;

const clippedNote = (detail: string) => `<response clipped><NOTE>${detail}</NOTE>`;

export interface Numbered {
  body: string;
  /** Last line shown in full, or `null` when not even the first line fit. */
  lastFullLine: number | null;
  truncated: boolean;
}

/** Formats `lines` as `cat -n` does (6-wide right-aligned number, tab), stopping before `maxChars`. */
export function numberLines(lines: readonly string[], firstLine: number, maxChars: number): Numbered {
  const out: string[] = [];
  let used = 0;
  for (const [i, line] of lines.entries()) {
    const row = `${String(firstLine + i).padStart(6)}\t${line}`;
    const cost = row.length + (out.length > 0 ? 1 : 0);
    if (used + cost > maxChars) {
      // Show at least part of an overlong first line rather than nothing.
      if (out.length === 0) out.push(headOf(row, Math.max(0, maxChars)));
      const last = firstLine + i - 1;
      return { body: out.join('\n'), lastFullLine: last >= firstLine ? last : null, truncated: true };
    }
    out.push(row);
    used += cost;
  }
  return { body: out.join('\n'), lastFullLine: firstLine + lines.length - 1, truncated: false };
}

/**
 * "Here's the result of running `cat -n` on DESCRIPTION:" followed by numbered lines.
 * `lines` are shown starting at `firstLine`; `path` is named in the truncation hint.
 */
export function catN(lines: readonly string[], description: string, firstLine: number, path: string, maxChars: number): string {
  const numbered = numberLines(lines, firstLine, maxChars);
  let output = `Here's the result of running \`cat -n\` on ${description}:\n${numbered.body}\n`;
  if (numbered.truncated) {
    const shown =
      numbered.lastFullLine === null
        ? `line ${firstLine} alone is longer than the limit`
        : `only lines ${firstLine}-${numbered.lastFullLine} of ${firstLine + lines.length - 1} were shown`;
    output += clippedNote(
      `Due to the max output limit, only part of this file has been shown to you (${shown}). ` +
        `Use \`view_range\` to see other lines, or search inside the file with \`grep -n PATTERN ${path}\` ` +
        `to find the line numbers of what you are looking for.`,
    );
    output += '\n';
  }
  return output;
}

/** A numbered excerpt of `text` around lines [fromLine, toLine], with SNIPPET_CONTEXT_LINES of context. */
export function snippet(text: string, fromLine: number, toLine: number, description: string, path: string, maxChars: number): string {
  const lines = splitLines(text);
  const first = Math.max(1, fromLine - SNIPPET_CONTEXT_LINES);
  const last = Math.min(lines.length, toLine + SNIPPET_CONTEXT_LINES);
  return catN(lines.slice(first - 1, last), description, first, path, maxChars);
}

/** Cuts a listing (or any text) at a line boundary before `maxChars` and appends `notice`. */
export function clipText(text: string, maxChars: number, notice: string): string {
  if (text.length <= maxChars) return text;
  const cut = text.lastIndexOf('\n', maxChars);
  return `${cut > 0 ? text.slice(0, cut) : headOf(text, maxChars)}\n${clippedNote(notice)}`;
}

/** A model-sent string as echoed in an error message (long ones are shortened). */
export function echo(value: string): string {
  if (value.length <= MAX_ECHO_CHARS) return value;
  const shown = headOf(value, MAX_ECHO_CHARS);
  return `${shown}…[${value.length - shown.length} more characters]`;
}

/** `[3, 7]`, as OpenHands prints a Python list; a long (or `incomplete`) list ends with what was left out. */
export function lineList(lines: readonly number[], incomplete = false): string {
  const shown = lines.slice(0, MAX_LISTED_LINES);
  const rest = lines.length - shown.length;
  const tail = incomplete ? ', … and more' : rest > 0 ? `, … ${rest} more` : '';
  return `[${shown.join(', ')}${tail}]`;
}

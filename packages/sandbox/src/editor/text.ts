/**
 * Text helpers. Content stays a single string so bytes round-trip exactly: line endings (LF,
 * CRLF, or a mix), a missing final newline and the encoding (see `encoding.ts`) are never rewritten.
 */

/** Lines as `cat -n`/`wc -l` count them: a final newline does not start a new line; '' has none. */
export function countLines(text: string): number {
  if (text === '') return 0;
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return text.endsWith('\n') ? count : count + 1;
}

/** The lines of `text` without their terminators (a trailing '\r' of CRLF is dropped too). */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return body.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** 1-based line number of the character at `offset`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Offset just after the `line`-th newline (0 → start of text); `text.length` when there are fewer newlines. */
export function offsetAfterLine(text: string, line: number): number {
  let offset = 0;
  for (let n = 0; n < line; n++) {
    const i = text.indexOf('\n', offset);
    if (i === -1) return text.length;
    offset = i + 1;
  }
  return offset;
}

/** The file's line ending, judged by its first line break (LF for files without one). */
export const lineEnding = (text: string): '\n' | '\r\n' => {
  const i = text.indexOf('\n');
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
};

/**
 * Start offsets of occurrences of `needle`, overlapping ones included (so "aa" in "aaa" is
 * ambiguous), at most `max` of them.
 */
export function occurrences(haystack: string, needle: string, max = Number.POSITIVE_INFINITY): number[] {
  const found: number[] = [];
  for (let i = haystack.indexOf(needle); i !== -1 && found.length < max; i = haystack.indexOf(needle, i + 1)) found.push(i);
  return found;
}

/** Distinct 1-based line numbers of ascending `offsets`, in one pass over `text`. */
export function linesAt(text: string, offsets: readonly number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let nextBreak = text.indexOf('\n');
  for (const offset of offsets) {
    while (nextBreak !== -1 && nextBreak < offset) {
      line++;
      nextBreak = text.indexOf('\n', nextBreak + 1);
    }
    if (lines.at(-1) !== line) lines.push(line);
  }
  return lines;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** An integer as the model may send it (a number or a numeric string), else `null`. */
export function toInteger(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  return null;
}

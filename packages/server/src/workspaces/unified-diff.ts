import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/** How far into a file `isBinary` looks for a NUL byte (as git does). */
const BINARY_PROBE_BYTES = 8000;

/** Binary content, by git's rule: a NUL byte among the first 8 000 bytes. */
export const isBinary = (bytes: Uint8Array) => bytes.subarray(0, BINARY_PROBE_BYTES).includes(0);

export interface DiffLimits {
  /** Longest diff kept, in UTF-16 code units (≈ bytes for ASCII); a longer one is cut at a line end and marked. */
  maxChars: number;
  /** Give up comparing after this long (jsdiff's `timeout`): the answer is `null`, marked truncated. */
  timeoutMs: number;
}

export const DEFAULT_DIFF_LIMITS: DiffLimits = { maxChars: 256 * 1024, timeoutMs: 500 };

export interface UnifiedDiff {
  /** `null` when the comparison gave up (see `truncated`). */
  diff: string | null;
  truncated: boolean;
}

/** The line that ends a cut diff (a `\` line, as patch tools skip). */
export const truncationMarker = (maxChars: number) => `\\ Diff truncated: it is longer than ${maxChars} characters\n`;

/** Cuts a patch longer than `maxChars` at a line end and marks it. */
function capped(patch: string, maxChars: number): UnifiedDiff {
  if (patch.length <= maxChars) return { diff: patch, truncated: false };
  const cut = patch.lastIndexOf('\n', maxChars);
  return { diff: patch.slice(0, cut + 1) + truncationMarker(maxChars), truncated: true };
}

/** The patch of a whole file added (`+` lines) or deleted (`-` lines), as jsdiff writes it, without a diff search. */
function wholeFilePatch(path: string, text: string, side: 'added' | 'deleted'): string {
  const lines = text.split('\n');
  const hasFinalNewline = lines.at(-1) === '';
  if (hasFinalNewline) lines.pop();
  const sign = side === 'added' ? '+' : '-';
  const header =
    side === 'added' ? `--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${lines.length} @@\n` : `--- a/${path}\n+++ /dev/null\n@@ -1,${lines.length} +0,0 @@\n`;
  return `${header}${lines.map((line) => `${sign}${line}\n`).join('')}${hasFinalNewline ? '' : '\\ No newline at end of file\n'}`;
}

/**
 * The unified diff (3 lines of context, git's `a/` `b/` file headers, `/dev/null` for a side that does not exist) of
 * one file from `before` to `after`, with jsdiff (Myers). Longer than `limits.maxChars`: cut at a line end and ended
 * with `truncationMarker`. A comparison that takes longer than `limits.timeoutMs` gives up: `{ diff: null,
 * truncated: true }`. `''` when nothing differs (an empty file added or deleted included).
 */
export function unifiedDiff(path: string, before: string | null, after: string | null, limits: DiffLimits = DEFAULT_DIFF_LIMITS): UnifiedDiff {
  if ((before ?? '') === (after ?? '')) return { diff: '', truncated: false };
  if (before === null || before === '') return capped(wholeFilePatch(path, after ?? '', 'added'), limits.maxChars);
  if (after === null || after === '') return capped(wholeFilePatch(path, before, 'deleted'), limits.maxChars);
  const patch = createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
    timeout: limits.timeoutMs,
  });
  return patch === undefined ? { diff: null, truncated: true } : capped(patch, limits.maxChars);
}

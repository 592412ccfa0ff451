/**
 * Cutting text for the model without breaking characters: a cut never falls inside a surrogate
 * pair (half an emoji is invalid text that Postgres, JSON encoders and the model's tokenizer
 * refuse or mangle), nor inside a grapheme cluster (a flag, a family emoji, a letter with its
 * accents), as far as `Intl.Segmenter` sees around the cut.
 */

/** Characters looked at on each side of a cut to find a grapheme boundary. */
const WINDOW = 64;

let segmenter: Intl.Segmenter | undefined;
const graphemes = (): Intl.Segmenter => {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return segmenter;
};

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** `offset`, moved back by one when it would split a surrogate pair (0 ≤ offset ≤ text.length). */
export function codePointBoundary(text: string, offset: number): number {
  if (offset <= 0) return 0;
  if (offset >= text.length) return text.length;
  return isLowSurrogate(text.charCodeAt(offset)) && isHighSurrogate(text.charCodeAt(offset - 1)) ? offset - 1 : offset;
}

/**
 * The last grapheme boundary at or before `offset` (UTF-16 units). Only a window around
 * `offset` is segmented, so this is cheap on megabyte-long lines; a cluster longer than the
 * window may still be split, but never a code point.
 */
export function graphemeBoundary(text: string, offset: number): number {
  const at = codePointBoundary(text, offset);
  if (at === 0 || at === text.length) return at;
  const from = codePointBoundary(text, Math.max(0, at - WINDOW));
  const window = text.slice(from, Math.min(text.length, at + WINDOW));
  let boundary = from;
  for (const { index } of graphemes().segment(window)) {
    if (from + index > at) break;
    boundary = from + index;
  }
  return boundary;
}

/** At most `maxChars` UTF-16 units from the start of `text`, ending on a grapheme boundary. */
export function headOf(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return text.slice(0, graphemeBoundary(text, Math.max(0, maxChars)));
}

/** At most `maxChars` UTF-16 units from the end of `text`, starting on a grapheme boundary. */
export function tailOf(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return text.slice(boundaryAtOrAfter(text, text.length - Math.max(0, maxChars)));
}

/** The first grapheme boundary at or after `offset` (a code point boundary when a cluster outgrows the window). */
export function boundaryAtOrAfter(text: string, offset: number): number {
  if (offset <= 0) return 0;
  if (offset >= text.length) return text.length;
  const at = codePointBoundary(text, offset) === offset ? offset : offset + 1;
  const from = graphemeBoundary(text, at);
  if (from === at) return at;
  const end = Math.min(text.length, at + WINDOW);
  for (const { index } of graphemes().segment(text.slice(from, end))) {
    if (from + index >= at) return from + index;
  }
  // The cluster runs to the end of the text, or is longer than the window (then the code point boundary will do).
  return end === text.length ? end : at;
}

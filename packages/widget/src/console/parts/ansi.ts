/** A run of terminal text with its SGR style: colour indexes (0–15, `undefined`: default) and bold. */
export interface AnsiSegment {
  text: string;
  fg: number | undefined;
  bg: number | undefined;
  bold: boolean;
}

/** Every escape sequence: CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`) and two-character escapes. */
const ESCAPE = /\u001b(?:\[([0-?]*)[ -/]*([@-~])|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

/**
 * Terminal output to styled segments: SGR colours (30–37, 90–97 and their backgrounds; 38/48;5;n for the first 16),
 * bold (1, 22), resets (0, 39, 49); every other escape (cursor moves, titles, erase) is dropped, and `\r\n` becomes
 * `\n`. A line redrawn with `\r` shows its last version. The console's terminal pane renders these as spans.
 */
export function parseAnsi(input: string): AnsiSegment[] {
  const segments: AnsiSegment[] = [];
  let fg: number | undefined;
  let bg: number | undefined;
  let bold = false;
  const push = (text: string) => {
    if (!text) return;
    const cleaned = redrawLines(text);
    if (!cleaned) return;
    const last = segments.at(-1);
    if (last && last.fg === fg && last.bg === bg && last.bold === bold) last.text += cleaned;
    else segments.push({ text: cleaned, fg, bg, bold });
  };
  let index = 0;
  for (const match of input.matchAll(ESCAPE)) {
    push(input.slice(index, match.index));
    index = match.index + match[0].length;
    if (match[2] !== 'm') continue;
    const codes = (match[1] ?? '').split(';').map((code) => (code === '' ? 0 : Number(code)));
    for (let position = 0; position < codes.length; position += 1) {
      const code = codes[position]!;
      if (code === 0) {
        fg = undefined;
        bg = undefined;
        bold = false;
      } else if (code === 1) bold = true;
      else if (code === 22) bold = false;
      else if (code >= 30 && code <= 37) fg = code - 30;
      else if (code >= 90 && code <= 97) fg = code - 90 + 8;
      else if (code === 39) fg = undefined;
      else if (code >= 40 && code <= 47) bg = code - 40;
      else if (code >= 100 && code <= 107) bg = code - 100 + 8;
      else if (code === 49) bg = undefined;
      else if ((code === 38 || code === 48) && codes[position + 1] === 5) {
        const color = codes[position + 2];
        const value = color !== undefined && color < 16 ? color : undefined;
        if (code === 38) fg = value;
        else bg = value;
        position += 2;
      } else if ((code === 38 || code === 48) && codes[position + 1] === 2) position += 4; // true colour: not rendered
    }
  }
  push(input.slice(index));
  return segments;
}

/** `\r\n` → `\n`; a line rewritten after a lone `\r` (progress bars) keeps its last version. */
function redrawLines(text: string): string {
  if (!text.includes('\r')) return text;
  return text
    .replace(/\r+\n/g, '\n')
    .split('\n')
    .map((line) => line.slice(line.lastIndexOf('\r') + 1))
    .join('\n');
}

/** The text of terminal output without any escape sequence (for copying and searching). */
export const ansiText = (input: string): string =>
  parseAnsi(input)
    .map((segment) => segment.text)
    .join('');

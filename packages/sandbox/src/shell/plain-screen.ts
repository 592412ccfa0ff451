import { TERMINAL_COLS, TERMINAL_ROWS } from './terminal-renderer.ts';

// Anything a terminal does more with than print: C0 controls but tab and line feed, DEL, C1
// controls, and the renderer's tab mark.
const NOT_PLAIN = /[\x00-\x08\x0b-\x1f\x7f-\x9f\uFDD0]/;

const trimRight = (line: string): string => line.replace(/ +$/, '');
/** Screen rows a line takes (wide characters counted as one column: close enough for a screenful). */
const rowsOf = (line: string): number => Math.max(1, Math.ceil(line.length / TERMINAL_COLS));

/**
 * The terminal screen while output is plain text (printable characters, tabs and line feeds):
 * what a terminal shows then is the text itself, so no emulator is needed; most output is like
 * that, and it renders at string-splitting speed. It keeps the last screenful of lines, as a
 * terminal can still rewrite those; lines scrolled past it are final and go to `onLine`. Once a
 * control sequence arrives, `replay()` gives the screen's text for a `TerminalRenderer` to take
 * over from.
 */
export class PlainScreen {
  private readonly onLine: (line: string) => void;
  private lines: string[] = [];
  private rows = 0;
  private partial = '';

  constructor(onLine: (line: string) => void) {
    this.onLine = onLine;
  }

  /** Whether `text` can be written here (it holds no control sequence). */
  static accepts(text: string): boolean {
    return !NOT_PLAIN.test(text);
  }

  write(text: string): void {
    // Only the new text is split: a line that arrives in many chunks is not scanned again each time.
    const parts = text.split('\n');
    const rest = parts.pop() ?? '';
    if (parts.length > 0) {
      parts[0] = this.partial + parts[0];
      this.partial = '';
    }
    this.partial += rest;
    for (const line of parts) {
      this.lines.push(line);
      this.rows += rowsOf(line);
    }
    // The cursor's line takes the last row.
    const room = TERMINAL_ROWS - rowsOf(this.partial);
    let scrolled = 0;
    while (this.rows > room && scrolled < this.lines.length) {
      const line = this.lines[scrolled] ?? '';
      this.rows -= rowsOf(line);
      this.onLine(trimRight(line));
      scrolled++;
    }
    if (scrolled > 0) this.lines = this.lines.slice(scrolled);
  }

  /** The lines on the screen, trailing spaces and empty lines at the end left out. */
  screenLines(): string[] {
    const lines = [...this.lines, this.partial].map(trimRight);
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  }

  /** The screen as output to write to a fresh terminal, leaving the cursor where it is here. */
  replay(): string {
    return this.lines.map((line) => `${line}\n`).join('') + this.partial;
  }
}

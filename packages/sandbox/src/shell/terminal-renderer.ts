import xtermHeadless from '@xterm/headless';
import type { IBufferCell, IBufferLine, IMarker, Terminal } from '@xterm/headless';
import { codePointBoundary } from '../text/cut-text.ts';

/** The width and height the shell's pty reports (`stty cols 200 rows 50`); the renderer must match. */
export const TERMINAL_COLS = 200;
export const TERMINAL_ROWS = 50;

/** Longest piece handed to xterm at once; lines are harvested after each piece. */
const PIECE_CHARS = 1024;
/** Enough scrollback that one piece can never push unharvested lines out of it. */
const SCROLLBACK_LINES = PIECE_CHARS + TERMINAL_ROWS;

/**
 * Stands in for a tab while xterm renders (xterm moves the cursor over a tab and keeps no
 * trace of it): a noncharacter that takes one cell, written before the tab, so the line's text
 * gets its tab back. Output containing U+FDD0 itself would show a tab there.
 */
const TAB_MARK = '\uFDD0';

export interface TerminalRendererOptions {
  /** A line that can no longer change (it scrolled out of the screen), in order. */
  onLine(line: string): void;
  /** Called after each parsed piece; `pendingChars` says how much is still queued. */
  onProgress?(): void;
}

/**
 * What a terminal shows for a stream of output: xterm.js (`@xterm/headless`) applies carriage
 * returns, backspaces, erase-line/erase-display, cursor moves, colours and wide characters, on
 * a screen as wide as the shell's pty. Lines that scroll off the screen are final and handed to
 * `onLine` as they go (so scrollback is never lost, however long the output); soft-wrapped
 * lines are joined back into one; trailing spaces are dropped. `screenLines()` gives what is
 * still on the screen. xterm parses asynchronously: `flush()` waits for everything written.
 */
export class TerminalRenderer {
  private readonly terminal: Terminal;
  private readonly options: TerminalRendererOptions;
  private readonly cell: IBufferCell;
  /** First line of the normal buffer not yet handed out. */
  private harvestMarker: IMarker | undefined;
  /** The start of a soft-wrapped line whose end is still on the screen. */
  private partial: string | null = null;
  private pending = 0;
  private isDisposed = false;

  constructor(options: TerminalRendererOptions) {
    this.options = options;
    this.terminal = new xtermHeadless.Terminal({
      cols: TERMINAL_COLS,
      rows: TERMINAL_ROWS,
      scrollback: SCROLLBACK_LINES,
      convertEol: true,
      allowProposedApi: true,
      logLevel: 'off',
    });
    this.cell = this.terminal.buffer.normal.getNullCell();
  }

  /** Characters written but not parsed yet. */
  get pendingChars(): number {
    return this.pending;
  }

  write(text: string): void {
    for (let start = 0; start < text.length; ) {
      const end = codePointBoundary(text, Math.min(text.length, start + PIECE_CHARS)) || Math.min(text.length, start + 2);
      const piece = text.slice(start, end);
      start = end;
      this.pending += piece.length;
      this.terminal.write(piece.includes('\t') ? piece.replaceAll('\t', `${TAB_MARK}\t`) : piece, () => {
        this.pending -= piece.length;
        if (this.isDisposed) return;
        // Runs from xterm's timer: an exception here would end the process.
        try {
          this.harvest();
        } catch {
          // The lines of this piece stay on the screen, to be read by `screenLines()`.
        }
        this.options.onProgress?.();
      });
    }
  }

  /** Resolves once everything written so far is parsed (and its scrolled-off lines handed out). */
  flush(): Promise<void> {
    if (this.isDisposed) return Promise.resolve();
    return new Promise((resolve) => this.terminal.write('', resolve));
  }

  /**
   * The lines still on the screen (not yet handed to `onLine`), soft-wrapped lines joined, empty
   * lines at the end left out. Call after `flush()`.
   */
  screenLines(): string[] {
    const buffer = this.terminal.buffer.active;
    const lines: string[] = [];
    let current = buffer.type === 'normal' ? this.partial : null;
    const first = buffer.type === 'normal' ? this.firstUnharvested() : 0;
    const last = buffer.baseY + TERMINAL_ROWS;
    for (let y = first; y < last; y++) {
      const line = buffer.getLine(y);
      if (!line) break;
      const continues = buffer.getLine(y + 1)?.isWrapped ?? false;
      const text = this.lineText(line, continues);
      if (line.isWrapped && current !== null) {
        current += text;
      } else {
        if (current !== null) lines.push(current);
        current = text;
      }
    }
    if (current !== null) lines.push(current);
    const trimmed = lines.map(trimRight);
    while (trimmed.length > 0 && trimmed.at(-1) === '') trimmed.pop();
    return trimmed;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.harvestMarker?.dispose();
    this.terminal.dispose();
  }

  private firstUnharvested(): number {
    const marker = this.harvestMarker;
    return marker && !marker.isDisposed ? marker.line : 0;
  }

  /** Hands out the lines that scrolled into the scrollback of the normal buffer since last time. */
  private harvest(): void {
    const buffer = this.terminal.buffer.normal;
    if (this.terminal.buffer.active.type !== 'normal') return;
    const first = this.firstUnharvested();
    const end = buffer.baseY;
    if (end <= first && this.harvestMarker && !this.harvestMarker.isDisposed) return;
    for (let y = first; y < end; y++) {
      const line = buffer.getLine(y);
      if (!line) break;
      const continues = buffer.getLine(y + 1)?.isWrapped ?? false;
      const text = this.lineText(line, continues);
      this.partial = line.isWrapped && this.partial !== null ? this.partial + text : text;
      if (!continues) {
        this.options.onLine(trimRight(this.partial));
        this.partial = null;
      }
    }
    this.harvestMarker?.dispose();
    this.harvestMarker = this.terminal.registerMarker(end - buffer.baseY - buffer.cursorY);
  }

  /** A physical line as text; `continues` when the next line is its soft-wrapped continuation. */
  private lineText(line: IBufferLine, continues: boolean): string {
    let text = line.translateToString(!continues);
    if (text.includes(TAB_MARK)) text = this.cellText(line, continues);
    // A wide character that did not fit in the last column left it empty before wrapping.
    if (continues && line.getCell(TERMINAL_COLS - 1, this.cell)?.getChars() === '') text = text.slice(0, -1);
    return text;
  }

  /** Cell by cell, for lines with tabs: a tab mark becomes `\t` and the empty cells it jumped over vanish. */
  private cellText(line: IBufferLine, continues: boolean): string {
    let text = '';
    let afterTab = false;
    const width = continues ? TERMINAL_COLS : line.length;
    for (let x = 0; x < width; x++) {
      const cell = line.getCell(x, this.cell);
      if (!cell || cell.getWidth() === 0) continue;
      const chars = cell.getChars();
      if (chars === TAB_MARK) {
        text += '\t';
        afterTab = true;
      } else if (chars === '') {
        if (!afterTab) text += ' ';
      } else {
        text += chars;
        afterTab = false;
      }
    }
    return text;
  }
}

const trimRight = (line: string): string => line.replace(/ +$/, '');

import { headOf } from '../text/cut-text.ts';

const FULL_PIECE_CHARS = 1 << 16;

export interface OutputLimits {
  /** Characters (newlines included) kept from the start of the output. */
  headChars: number;
  /** Characters (newlines included) kept from the end of the output. */
  tailChars: number;
  /** Most UTF-8 bytes of the full output kept for the full-output file. */
  fullMaxBytes: number;
}

/** The full output of an observation that did not fit, for the full-output file. */
export interface FullOutput {
  /** Every line in UTF-8, each ending with `\n`, up to `fullMaxBytes` (whole lines only). */
  data: Uint8Array;
  /** Lines in `text`. */
  lines: number;
  /** `false` when the output was longer than `fullMaxBytes` and `text` holds only its start. */
  isComplete: boolean;
}

/** One observation's output, cut to its head and tail on line boundaries. */
export interface CollectedOutput {
  /** The first lines, all of them when nothing was left out. */
  head: string[];
  /** The last lines, after the ones left out (empty when nothing was left out). */
  tail: string[];
  /** Lines between `head` and `tail` left out. */
  omittedLines: number;
  /** Characters left out: the omitted lines (with their newlines) and the cut ends of overlong lines. */
  omittedChars: number;
  /** Lines longer than the per-line limit, shown cut. */
  cutLines: number;
  /** Lines of the whole output (shown or not). */
  totalLines: number;
  /** Set when anything was left out or cut. */
  full: FullOutput | null;
}

/**
 * Collects an observation's lines with bounded memory, keeping the head and the tail (as
 * OpenHands keeps both ends of a long observation, here on line boundaries) and counting what
 * falls between. A single line longer than the smaller of the two budgets is shown cut (on a
 * grapheme boundary) with a note of how much of it is missing. Up to `fullMaxBytes` of every
 * line is kept as well, for the full-output file.
 */
export class OutputCollector {
  private readonly limits: OutputLimits;
  private readonly maxLineChars: number;
  private head: string[] = [];
  private headUsed = 0;
  private isHeadClosed = false;
  private tail: string[] = [];
  private tailStart = 0;
  private tailUsed = 0;
  private omittedLines = 0;
  private omittedChars = 0;
  private cutLines = 0;
  private totalLines = 0;
  /** The full output so far, as UTF-8 pieces of about FULL_PIECE_CHARS (strings of one line each would cost several times more memory). */
  private full: Buffer[] = [];
  private fullPiece = '';
  private fullLines = 0;
  private fullBytes = 0;
  private isFullComplete = true;

  constructor(limits: OutputLimits) {
    this.limits = limits;
    this.maxLineChars = Math.max(1, Math.min(limits.headChars, limits.tailChars));
  }

  get isEmpty(): boolean {
    return this.totalLines === 0;
  }

  add(line: string): void {
    this.totalLines++;
    this.keepFull(line);
    const shown = this.capLine(line);
    const cost = shown.length + 1;
    if (!this.isHeadClosed && this.headUsed + cost <= this.limits.headChars) {
      this.head.push(shown);
      this.headUsed += cost;
      return;
    }
    this.isHeadClosed = true;
    this.tail.push(shown);
    this.tailUsed += cost;
    while (this.tailUsed > this.limits.tailChars && this.tail.length - this.tailStart > 1) {
      const dropped = this.tail[this.tailStart] ?? '';
      this.tail[this.tailStart] = '';
      this.tailStart++;
      this.tailUsed -= dropped.length + 1;
      this.omittedLines++;
      this.omittedChars += dropped.length + 1;
    }
    if (this.tailStart > 1024 && this.tailStart * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailStart);
      this.tailStart = 0;
    }
  }

  /** Everything collected since the last `take()`, with empty lines at the very end dropped; then starts afresh. */
  take(): CollectedOutput {
    let head = this.head;
    let tail = this.tail.slice(this.tailStart);
    while (tail.length > 0 && tail.at(-1) === '') tail.pop();
    if (tail.length === 0) while (head.length > 0 && head.at(-1) === '') head.pop();
    if (this.omittedLines === 0) {
      head = head.concat(tail);
      tail = [];
    }
    const isCut = this.omittedLines > 0 || this.cutLines > 0;
    const result: CollectedOutput = {
      head,
      tail,
      omittedLines: this.omittedLines,
      omittedChars: this.omittedChars,
      cutLines: this.cutLines,
      totalLines: this.totalLines,
      full: isCut ? { data: Buffer.concat([...this.full, Buffer.from(this.fullPiece)]), lines: this.fullLines, isComplete: this.isFullComplete } : null,
    };
    this.head = [];
    this.headUsed = 0;
    this.isHeadClosed = false;
    this.tail = [];
    this.tailStart = 0;
    this.tailUsed = 0;
    this.omittedLines = 0;
    this.omittedChars = 0;
    this.cutLines = 0;
    this.totalLines = 0;
    this.full = [];
    this.fullPiece = '';
    this.fullLines = 0;
    this.fullBytes = 0;
    this.isFullComplete = true;
    return result;
  }

  private capLine(line: string): string {
    if (line.length <= this.maxLineChars) return line;
    // Room for the note, so a cut line stays within the limit.
    const kept = headOf(line, Math.max(1, this.maxLineChars - 48));
    this.cutLines++;
    this.omittedChars += line.length - kept.length;
    return `${kept} [… ${line.length - kept.length} more characters of this line]`;
  }

  private keepFull(line: string): void {
    if (!this.isFullComplete) return;
    const bytes = Buffer.byteLength(line) + 1;
    if (this.fullBytes + bytes > this.limits.fullMaxBytes) {
      this.isFullComplete = false;
      return;
    }
    this.fullPiece += `${line}\n`;
    this.fullLines++;
    this.fullBytes += bytes;
    if (this.fullPiece.length >= FULL_PIECE_CHARS) {
      this.full.push(Buffer.from(this.fullPiece));
      this.fullPiece = '';
    }
  }
}

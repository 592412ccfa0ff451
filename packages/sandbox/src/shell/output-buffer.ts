export interface TakenOutput {
  text: string;
  /** Characters dropped from the start because the output was longer than the limit. */
  cutChars: number;
  /** Newlines among the dropped characters. */
  cutLines: number;
}

const countNewlines = (text: string): number => {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
};

/**
 * Output collected between two observations. Memory stays bounded however much a command
 * prints: only the last `maxChars` are kept, and what was dropped is counted.
 */
export class OutputBuffer {
  private readonly maxChars: number;
  private chunks: string[] = [];
  private length = 0;
  private cutChars = 0;
  private cutLines = 0;

  constructor(maxChars: number) {
    this.maxChars = maxChars;
  }

  get isEmpty(): boolean {
    return this.length === 0 && this.cutChars === 0;
  }

  append(text: string): void {
    if (!text) return;
    this.chunks.push(text);
    this.length += text.length;
    if (this.length > this.maxChars * 2) this.compact();
  }

  /** Everything collected so far (the end of it), and resets. */
  take(): TakenOutput {
    this.compact();
    const taken = { text: this.chunks.join(''), cutChars: this.cutChars, cutLines: this.cutLines };
    this.chunks = [];
    this.length = 0;
    this.cutChars = 0;
    this.cutLines = 0;
    return taken;
  }

  private compact(): void {
    const all = this.chunks.join('');
    if (all.length <= this.maxChars) {
      this.chunks = all ? [all] : [];
      return;
    }
    const cut = all.length - this.maxChars;
    this.cutChars += cut;
    this.cutLines += countNewlines(all.slice(0, cut));
    const kept = all.slice(cut);
    this.chunks = [kept];
    this.length = kept.length;
  }
}

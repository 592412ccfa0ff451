import { type CollectedOutput, OutputCollector, type OutputLimits } from './output-collector.ts';
import { PlainScreen } from './plain-screen.ts';
import { TerminalRenderer } from './terminal-renderer.ts';

/**
 * The rendered output of one command (or of the shell between commands) across the
 * observations that read it. Raw output goes through a `TerminalRenderer` (through a
 * `PlainScreen` while it is plain text, until the first control sequence); each `take()` gives
 * what is new since the previous one: the lines that scrolled off the screen since, and the
 * screen as it is now. Lines at the top of that which the previous observation already showed
 * unchanged are not shown again (a prompt line that was shown half-written shows only its new
 * end), so a progress bar redrawn in place shows its latest state once.
 */
export class CommandTranscript {
  private readonly collector: OutputCollector;
  private readonly onProgress: (() => void) | undefined;
  private plain: PlainScreen | null = new PlainScreen((line) => this.add(line));
  private renderer: TerminalRenderer | null = null;
  /** The screen lines the previous observation showed, and how many of them new lines matched so far. */
  private shown: string[] = [];
  private matched = 0;

  constructor(limits: OutputLimits, onProgress?: () => void) {
    this.collector = new OutputCollector(limits);
    this.onProgress = onProgress;
  }

  /** Characters written but not rendered yet. */
  get pendingChars(): number {
    return this.renderer?.pendingChars ?? 0;
  }

  write(raw: string): void {
    if (!raw) return;
    if (this.plain && PlainScreen.accepts(raw)) {
      this.plain.write(raw);
      return;
    }
    if (!this.renderer) {
      this.renderer = new TerminalRenderer({ onLine: (line) => this.add(line), onProgress: this.onProgress });
      if (this.plain) this.renderer.write(this.plain.replay());
      this.plain = null;
    }
    this.renderer.write(raw);
  }

  /** Everything new since the last `take()`, cut to head and tail. */
  async take(): Promise<CollectedOutput> {
    const screen: string[] = [];
    if (this.renderer) {
      await this.renderer.flush();
      screen.push(...this.renderer.screenLines());
    } else if (this.plain) {
      screen.push(...this.plain.screenLines());
    }
    for (const line of screen) this.add(line);
    this.shown = screen;
    this.matched = 0;
    return this.collector.take();
  }

  dispose(): void {
    this.renderer?.dispose();
    this.renderer = null;
    this.plain = null;
  }

  private add(line: string): void {
    if (this.matched < this.shown.length) {
      const before = this.shown[this.matched] ?? '';
      const isCursorLine = this.matched === this.shown.length - 1;
      if (line === before) {
        this.matched++;
        return;
      }
      if (isCursorLine && before !== '' && line.startsWith(before)) {
        // The rest of a line shown half-written (a prompt, then what the program printed after
        // the unechoed answer) comes on a line of its own.
        this.matched++;
        this.collector.add(line.slice(before.length).replace(/^ +/, ''));
        return;
      }
      this.matched = this.shown.length;
    }
    this.collector.add(line);
  }
}

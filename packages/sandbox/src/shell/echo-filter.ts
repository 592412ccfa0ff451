/**
 * Removes the terminal's echo of a command line we wrote from the start of that command's
 * output. The shell runs with `stty -echo`; a command that turns echo back on (`stty sane`,
 * `reset`) would otherwise show our next command line, wrapper and all, in the output. `\r`s a
 * terminal adds (`onlcr`) are skipped while matching. The first character that differs ends the
 * filter, and everything from there on passes unchanged.
 */
export class EchoFilter {
  private readonly line: string;
  private position = 0;
  private isDone = false;
  /** The echo was seen (and removed): the terminal echoes input again. */
  hasEcho = false;

  constructor(line: string) {
    this.line = line;
  }

  filter(text: string): string {
    if (this.isDone) return text;
    let i = 0;
    while (i < text.length && this.position < this.line.length) {
      const char = text[i];
      if (char === this.line[this.position]) {
        this.position++;
        i++;
      } else if (char === '\r') {
        i++;
      } else {
        this.isDone = true;
        return text.slice(i);
      }
    }
    if (this.position === this.line.length) {
      this.isDone = true;
      this.hasEcho = true;
      return text.slice(i);
    }
    return '';
  }
}

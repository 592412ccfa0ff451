/**
 * Where an image build stands, from its output: the step being run when the builder numbers its steps, and how much
 * it printed. Docker's legacy builder (what the Engine API's `/build` runs) prints `Step 3/9 : RUN apt-get …`;
 * BuildKit's plain progress prints `#5 [3/9] RUN apt-get …` (`#7 [builder 2/5] …` in a multi-stage build). Builders
 * that print neither leave `step` and `steps` null: the line count is then all there is to show.
 */
export interface ImageBuildProgress {
  /** The step being run, 1-based; null until the builder names one. */
  step: number | null;
  /** How many steps the build has; null until the builder names one. */
  steps: number | null;
  /** The Dockerfile instruction of that step (`RUN apt-get update …`), spaces collapsed, at most 200 characters; null before the first. */
  instruction: string | null;
  /** Lines of output so far. */
  lines: number;
}

/** Longest instruction kept in the progress. */
const MAX_INSTRUCTION_CHARS = 200;
/** The end of the log an error carries: at most this many lines … */
export const LOG_TAIL_LINES = 40;
/** … and at most this many characters (the start of the oldest line is cut first). */
export const LOG_TAIL_CHARS = 3000;

const LEGACY_STEP = /^Step (\d+)\/(\d+) ?: ?(.*)$/;
// `#5 [3/9] RUN …`, `#7 [builder 2/5] COPY …`; not `#1 [internal] load build definition`.
const BUILDKIT_STEP = /^#\d+ \[(?:[^\]\s]+ )?(\d+)\/(\d+)\] (.*)$/;
// Colours and cursor moves some builders print even without a terminal.
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** The step a line of build output names (`Step 3/9 : RUN …`, `#5 [3/9] RUN …`), or null. */
export function parseBuildStep(line: string): { step: number; steps: number; instruction: string } | null {
  const match = LEGACY_STEP.exec(line) ?? BUILDKIT_STEP.exec(line);
  if (!match) return null;
  const step = Number(match[1]);
  const steps = Number(match[2]);
  if (!(step >= 1 && steps >= step)) return null;
  // A multi-line RUN arrives with its continuations as runs of spaces.
  return { step, steps, instruction: match[3]!.replace(/\s+/g, ' ').trim().slice(0, MAX_INSTRUCTION_CHARS) };
}

/**
 * The output of one image build, fed as it arrives (chunks may hold several lines, or end mid-line): answers the
 * progress and the end of the log, capped to `LOG_TAIL_LINES` lines and `LOG_TAIL_CHARS` characters.
 */
export class BuildLog {
  #step: number | null = null;
  #steps: number | null = null;
  #instruction: string | null = null;
  #lines = 0;
  #partial = '';
  readonly #tail: string[] = [];

  /** Adds a chunk of output; answers whether the progress changed (a new line or a new step). */
  push(chunk: string): boolean {
    const parts = (this.#partial + chunk.replace(ANSI_ESCAPE, '')).split(/\r?\n|\r/);
    this.#partial = parts.pop() ?? '';
    let changed = false;
    for (const part of parts) changed = this.#line(part) || changed;
    return changed;
  }

  /** Ends the output: a last line without a newline counts too. */
  end(): boolean {
    const rest = this.#partial;
    this.#partial = '';
    return this.#line(rest);
  }

  get progress(): ImageBuildProgress {
    return { step: this.#step, steps: this.#steps, instruction: this.#instruction, lines: this.#lines };
  }

  /** The last lines of output, oldest first, joined with newlines (capped). */
  tail(): string {
    const text = this.#tail.join('\n');
    return text.length > LOG_TAIL_CHARS ? `…${text.slice(text.length - LOG_TAIL_CHARS + 1)}` : text;
  }

  #line(raw: string): boolean {
    const line = raw.trimEnd();
    if (!line.trim()) return false;
    this.#lines += 1;
    this.#tail.push(line);
    if (this.#tail.length > LOG_TAIL_LINES) this.#tail.shift();
    const step = parseBuildStep(line.trim());
    if (step) {
      this.#step = step.step;
      this.#steps = step.steps;
      this.#instruction = step.instruction;
    }
    return true;
  }
}

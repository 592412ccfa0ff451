import { type LlmDeadline, LlmTimeoutError } from './llm-errors.ts';

/**
 * The two deadlines of one LLM call, as an `AbortSignal`: nothing received for `idleMs` (every byte resets it,
 * keep-alive comments included), or the whole call longer than `totalMs`. `touch()` on every byte; `dispose()` when
 * the call is over. Once fired, `error()` says which deadline it was.
 */
export class CallDeadlines {
  readonly #controller = new AbortController();
  readonly #idleMs: number;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #totalTimer: NodeJS.Timeout;
  #fired: LlmTimeoutError | undefined;

  constructor(options: { idleMs: number; totalMs: number }) {
    this.#idleMs = options.idleMs;
    this.#totalTimer = setTimeout(() => this.#fire('total', options.totalMs), options.totalMs);
    this.touch();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The timeout that fired, or undefined. */
  error(): LlmTimeoutError | undefined {
    return this.#fired;
  }

  /** Something arrived: the idle deadline starts over. */
  touch(): void {
    if (this.#fired) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#fire('idle', this.#idleMs), this.#idleMs);
  }

  dispose(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#totalTimer);
  }

  #fire(deadline: LlmDeadline, ms: number): void {
    if (this.#fired) return;
    this.#fired = new LlmTimeoutError(deadline, ms / 1000);
    this.dispose();
    this.#controller.abort(this.#fired);
  }
}

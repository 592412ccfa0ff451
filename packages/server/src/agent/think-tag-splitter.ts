const OPEN = '<think>';
const CLOSE = '</think>';

/** Pieces of streamed text, sorted into the answer and the reasoning. */
export interface SplitText {
  text: string;
  reasoning: string;
}

/** Length of the longest end of `text` that is the start of `tag` (a tag split across chunks). */
function partialTagLength(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}

/**
 * Moves `<think>…</think>` blocks out of streamed content (reasoning models served without a reasoning parser, e.g.
 * DeepSeek-R1 distills or Qwen3 on llama.cpp, Ollama or vLLM without `--reasoning-parser`). A tag split across chunks
 * is held back until the next chunk decides; `flush` releases whatever is held when the stream ends (an unclosed
 * block stays reasoning). A reply that starts inside a block (its template already opened `<think>`) is not
 * recognised: its reasoning reads as answer text.
 */
export class ThinkTagSplitter {
  #isThinking = false;
  #pending = '';
  #sawTag = false;

  /** Whether a `<think>` block was seen (the reasoning then came as a tag). */
  get sawTag(): boolean {
    return this.#sawTag;
  }

  push(chunk: string): SplitText {
    const out: SplitText = { text: '', reasoning: '' };
    let rest = this.#pending + chunk;
    this.#pending = '';
    for (;;) {
      const tag = this.#isThinking ? CLOSE : OPEN;
      const at = rest.indexOf(tag);
      if (at === -1) {
        const hold = partialTagLength(rest, tag);
        this.#emit(out, rest.slice(0, rest.length - hold));
        this.#pending = rest.slice(rest.length - hold);
        return out;
      }
      this.#emit(out, rest.slice(0, at));
      rest = rest.slice(at + tag.length);
      this.#isThinking = !this.#isThinking;
      this.#sawTag = true;
      // The newline models put right after `</think>` belongs to neither part.
      if (!this.#isThinking) rest = rest.replace(/^\n+/, '');
    }
  }

  flush(): SplitText {
    const out: SplitText = { text: '', reasoning: '' };
    this.#emit(out, this.#pending);
    this.#pending = '';
    return out;
  }

  #emit(out: SplitText, piece: string): void {
    if (this.#isThinking) out.reasoning += piece;
    else out.text += piece;
  }
}

import type { CatchUpPiece } from '../control/control-channel.ts';

/** Output of a running command kept for a catch-up: its last 64 Ki UTF-16 code units (older output is dropped). */
export const OUTPUT_KEPT = 64 * 1024;

/** Text streamed so far: `text` starts at `start` of the whole (0 unless older output was dropped). */
interface SoFar {
  start: number;
  text: string;
}

const append = (soFar: SoFar, piece: string, keep: number): number => {
  const offset = soFar.start + soFar.text.length;
  soFar.text += piece;
  // Trimmed in steps (not at every piece), and never inside a surrogate pair.
  if (soFar.text.length > keep * 2) {
    let cut = soFar.text.length - keep;
    const code = soFar.text.charCodeAt(cut);
    if (code >= 0xdc00 && code <= 0xdfff) cut += 1;
    soFar.start += cut;
    soFar.text = soFar.text.slice(cut);
  }
  return offset;
};

/**
 * What one run has streamed that is not stored yet: the text and reasoning of the assistant message being written
 * (by `message_id`) and the output of the running command (by `tool_call_id`), kept in the process running it so that
 * a client opening a stream mid-answer can be caught up (`catch_up`). Every piece added gets its `offset` in the whole;
 * the loop stores events only between LLM calls and commands, so a stored event ends whatever was in flight (`clear`).
 */
export class InFlightText {
  readonly #messages = new Map<string, { content: SoFar; reasoning: SoFar }>();
  readonly #outputs = new Map<string, SoFar>();

  /** Adds a piece of a message's text (`delta`) or reasoning (`reasoning_delta`), or of a command's output; answers its offset. */
  add(kind: 'delta' | 'reasoning_delta' | 'output', id: string, piece: string): number {
    if (kind === 'output') {
      let soFar = this.#outputs.get(id);
      if (!soFar) this.#outputs.set(id, (soFar = { start: 0, text: '' }));
      return append(soFar, piece, OUTPUT_KEPT);
    }
    let message = this.#messages.get(id);
    if (!message) this.#messages.set(id, (message = { content: { start: 0, text: '' }, reasoning: { start: 0, text: '' } }));
    return append(kind === 'delta' ? message.content : message.reasoning, piece, Number.POSITIVE_INFINITY);
  }

  /** Something was stored: what streamed before it is either in it or abandoned (a retried attempt). */
  clear(): void {
    this.#messages.clear();
    this.#outputs.clear();
  }

  /** Everything in flight, as the pieces of a `catch_up_response` (unsplit). */
  pieces(): CatchUpPiece[] {
    const pieces: CatchUpPiece[] = [];
    for (const [messageId, { content, reasoning }] of this.#messages) {
      if (reasoning.text) pieces.push({ message_id: messageId, field: 'reasoning_content', offset: reasoning.start, text: reasoning.text });
      // A message shows even before its first character of text (its reasoning streams first).
      pieces.push({ message_id: messageId, field: 'content', offset: content.start, text: content.text });
    }
    for (const [toolCallId, output] of this.#outputs) pieces.push({ tool_call_id: toolCallId, field: 'content', offset: output.start, text: output.text });
    return pieces;
  }
}

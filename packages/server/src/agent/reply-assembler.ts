import type { FinishReason, ReasoningField } from '@metisai/sdk/schemas';
import { ThinkTagSplitter, type SplitText } from './think-tag-splitter.ts';
import { type AssembledToolCall, ToolCallAssembler } from './tool-call-assembler.ts';
import type { TokenUsage } from './run-options.ts';

/** One LLM reply, whole. */
export interface LlmReply {
  /** The answer text (`<think>` blocks removed). */
  content: string;
  /** The reasoning, kept apart from the answer ('' for models that do not reason). */
  reasoning: string;
  /** Where the reasoning arrived (null when there was none). */
  reasoningField: ReasoningField | null;
  toolCalls: AssembledToolCall[];
  /** Opaque message fields the provider wants back with this turn (OpenRouter's `reasoning_details`). */
  providerFields: Record<string, unknown> | undefined;
  usage: TokenUsage | null;
  /** The provider's `finish_reason`, with synonyms mapped (see `normalizeFinishReason`); null when none came. */
  finishReason: FinishReason | (string & {}) | null;
}

/** What a chunk added, to stream to clients now. */
export type ReplyDelta = SplitText;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Maps other servers' finish reasons to OpenAI's: Anthropic's (through proxies), Gemini's, legacy `function_call`. */
export function normalizeFinishReason(reason: string): FinishReason | (string & {}) {
  switch (reason.toLowerCase()) {
    case 'end_turn':
    case 'stop_sequence':
    case 'eos':
    case 'eos_token':
      return 'stop';
    case 'tool_use':
    case 'function_call':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_length':
      return 'length';
    case 'safety':
    case 'recitation':
    case 'content_filtered':
      return 'content_filter';
    default:
      return reason;
  }
}

/**
 * Merges OpenRouter's streamed `reasoning_details` entries: pieces of the same block (same `index`, or the same `id`)
 * are joined (their `text`, `summary` and `data` strings concatenated, other fields kept from the latest piece).
 */
function mergeReasoningDetails(into: Record<string, unknown>[], pieces: unknown[]): void {
  for (const piece of pieces) {
    if (!isRecord(piece)) continue;
    const key = piece.index ?? piece.id;
    const same = key === undefined ? undefined : into.find((entry) => (entry.index ?? entry.id) === key && entry.type === piece.type);
    if (!same) {
      into.push({ ...piece });
      continue;
    }
    for (const [field, value] of Object.entries(piece)) {
      const current = same[field];
      same[field] = ['text', 'summary', 'data'].includes(field) && typeof current === 'string' && typeof value === 'string' ? current + value : value;
    }
  }
}

/**
 * Builds one reply from the `chat.completion.chunk` objects of a stream (or the one `chat.completion` a server sends
 * instead), tolerating what providers send besides OpenAI's exact format: chunks with `choices: []` (usage, Azure's
 * prompt filter results), a choice without `delta` (Azure's content-filter annotations), `message` in place of
 * `delta`, reasoning in `reasoning_content` or `reasoning` or `<think>` tags, tool calls in every shape
 * `ToolCallAssembler` knows. Anything it does not know is ignored.
 */
export class ReplyAssembler {
  #content = '';
  #reasoning = '';
  #reasoningField: ReasoningField | null = null;
  #finishReason: LlmReply['finishReason'] = null;
  #usage: TokenUsage | null = null;
  #reasoningDetails: Record<string, unknown>[] = [];
  readonly #calls = new ToolCallAssembler();
  readonly #think = new ThinkTagSplitter();

  /** Whether a `finish_reason` arrived (an honest end of the reply). */
  get hasFinished(): boolean {
    return this.#finishReason !== null;
  }

  /** Adds one chunk; answers the text and reasoning it added. */
  push(chunk: unknown): ReplyDelta {
    const out: ReplyDelta = { text: '', reasoning: '' };
    if (!isRecord(chunk)) return out;
    if (isRecord(chunk.usage)) this.#setUsage(chunk.usage);
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    for (const choice of choices) {
      if (!isRecord(choice) || (typeof choice.index === 'number' && choice.index !== 0)) continue;
      if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') this.#finishReason = normalizeFinishReason(choice.finish_reason);
      const delta = isRecord(choice.delta) ? choice.delta : isRecord(choice.message) ? choice.message : undefined;
      if (delta) this.#pushDelta(delta, out);
    }
    return out;
  }

  /** Releases text held back at the end of the stream (a partial `<think>` tag). */
  flush(): ReplyDelta {
    const out = this.#think.flush();
    this.#content += out.text;
    this.#addReasoning(out.reasoning, 'think_tag');
    return out;
  }

  /** The reply so far (whole once the stream ended and `flush` ran). */
  reply(): LlmReply {
    return {
      content: this.#think.sawTag ? this.#content.replace(/^\s+/, '') : this.#content,
      reasoning: this.#reasoning,
      reasoningField: this.#reasoning ? this.#reasoningField : null,
      toolCalls: this.#calls.calls(),
      providerFields: this.#reasoningDetails.length > 0 ? { reasoning_details: this.#reasoningDetails } : undefined,
      usage: this.#usage,
      finishReason: this.#finishReason,
    };
  }

  #pushDelta(delta: Record<string, unknown>, out: ReplyDelta): void {
    const reasoning = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : undefined;
    const alternative = typeof delta.reasoning === 'string' ? delta.reasoning : undefined;
    // Some servers send the same text under both names: `reasoning_content` wins.
    if (reasoning) {
      this.#addReasoning(reasoning, 'reasoning_content');
      out.reasoning += reasoning;
    } else if (alternative) {
      this.#addReasoning(alternative, 'reasoning');
      out.reasoning += alternative;
    }
    if (Array.isArray(delta.reasoning_details)) mergeReasoningDetails(this.#reasoningDetails, delta.reasoning_details);
    const content = typeof delta.content === 'string' ? delta.content : Array.isArray(delta.content) ? textOfParts(delta.content) : '';
    if (content) {
      const split = this.#think.push(content);
      this.#content += split.text;
      this.#addReasoning(split.reasoning, 'think_tag');
      out.text += split.text;
      out.reasoning += split.reasoning;
    }
    if (Array.isArray(delta.tool_calls)) for (const piece of delta.tool_calls) this.#calls.push(piece);
    // The legacy single `function_call` (pre-tools API, some older servers).
    if (isRecord(delta.function_call)) this.#calls.push({ index: 0, function: delta.function_call });
  }

  #addReasoning(text: string, field: ReasoningField): void {
    if (!text) return;
    this.#reasoning += text;
    this.#reasoningField ??= field;
  }

  #setUsage(usage: Record<string, unknown>): void {
    const prompt = usage.prompt_tokens;
    const completion = usage.completion_tokens;
    if (typeof prompt === 'number' && typeof completion === 'number') this.#usage = { prompt_tokens: prompt, completion_tokens: completion };
  }
}

/** The text of content parts (`[{ type: 'text', text }]`), as some servers stream them. */
const textOfParts = (parts: unknown[]): string =>
  parts.map((part) => (isRecord(part) && typeof part.text === 'string' && (part.type === undefined || part.type === 'text') ? part.text : '')).join('');

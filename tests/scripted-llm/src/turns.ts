import type { ContextLengthTurn, ErrorSpec, ErrorTurn, HangTurn, TextTurn, ToolCallSpec, ToolCallsTurn } from './turn.ts';

type ToolCallOptions = Omit<ToolCallsTurn, 'toolCalls'> & Pick<ToolCallSpec, 'id'>;

/** Shorthands for building turns in tests. */
export const turns = {
  /** An assistant text reply. */
  text: (content: string, options: Omit<TextTurn, 'content'> = {}): TextTurn => ({ ...options, content }),

  /** One tool call; `args` may be a raw string (sent verbatim, malformed JSON allowed). */
  toolCall: (name: string, args: ToolCallSpec['arguments'] = {}, options: ToolCallOptions = {}): ToolCallsTurn => {
    const { id, ...turn } = options;
    return { ...turn, toolCalls: [id === undefined ? { name, arguments: args } : { name, arguments: args, id }] };
  },

  /** Several tool calls in one assistant turn. */
  toolCalls: (calls: ToolCallSpec[], options: Omit<ToolCallsTurn, 'toolCalls'> = {}): ToolCallsTurn => ({ ...options, toolCalls: calls }),

  /** An HTTP error in OpenAI's error shape, e.g. `turns.error(429, 'slow down', { retryAfterSeconds: 1 })`. */
  error: (status: number, message: string, options: Omit<ErrorSpec, 'status' | 'message'> & { delayMs?: number } = {}): ErrorTurn => {
    const { delayMs, ...spec } = options;
    const turn: ErrorTurn = { error: { ...spec, status, message } };
    if (delayMs !== undefined) turn.delayMs = delayMs;
    return turn;
  },

  /** A 400 `context_length_exceeded` error; `maxTokens` defaults to 128000. */
  contextLengthExceeded: (maxTokens?: number): ContextLengthTurn => ({
    contextLengthExceeded: maxTokens === undefined ? true : { maxTokens },
  }),

  /** Never answer until the client aborts. */
  hang: (): HangTurn => ({ hang: true }),
};

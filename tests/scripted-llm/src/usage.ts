import type { ChatMessage, ChatRequest } from './chat-request.ts';

/** Token counts in OpenAI's `usage` shape. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

/** Deterministic approximation: one token per four characters, rounded up. */
export const countTokens = (text: string): number => Math.ceil(text.length / 4);

const messageText = (message: ChatMessage): string => {
  const content =
    typeof message.content === 'string' ? message.content : (message.content ?? []).map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
  const calls = (message.tool_calls ?? []).map((call) => `${call.function?.name ?? ''}${call.function?.arguments ?? ''}`);
  return content + calls.join('');
};

/** Prompt tokens: four per message plus its text, three to prime the reply, plus the tool definitions. */
export const countPromptTokens = (request: ChatRequest): number =>
  request.messages.reduce((sum, message) => sum + 4 + countTokens(messageText(message)), 3) + (request.tools ? countTokens(JSON.stringify(request.tools)) : 0);

/** Builds the `usage` object from the two counts. */
export const toUsage = (promptTokens: number, completionTokens: number): Usage => ({
  prompt_tokens: promptTokens,
  completion_tokens: completionTokens,
  total_tokens: promptTokens + completionTokens,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
});

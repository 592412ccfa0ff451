import type { ChatMessage, ChatRequest } from './chat-request.ts';
import { OpenAiHttpError } from './openai-http-error.ts';

/**
 * Checks some providers make on a request's history, answered with their own 400 (wording from public reports):
 * - `deepseek_reasoning_echo`: DeepSeek in thinking mode refuses an assistant turn with `tool_calls` that lacks its
 *   `reasoning_content` ("The `reasoning_content` in the thinking mode must be passed back to the API.");
 * - `mistral_tool_call_ids`: Mistral's templates (vLLM `--tokenizer-mode mistral`, Mistral's API) want every tool call
 *   id to be exactly 9 letters or digits ("Tool call id was … but must be a-z, A-Z, 0-9, with a length of 9.");
 * - `unique_tool_call_ids`: Anthropic models (behind LiteLLM and other proxies) refuse a history that repeats a
 *   tool call id ("tool_use ids must be unique");
 * - `gemini_thought_signature`: Gemini 3 refuses a function call sent back without the thought signature it came with
 *   (`extra_content.google.thought_signature`);
 * - `no_max_tokens`: OpenAI's reasoning models refuse `max_tokens` ("Unsupported parameter: 'max_tokens' is not
 *   supported with this model. Use 'max_completion_tokens' instead.").
 */
export const REQUEST_RULES = ['deepseek_reasoning_echo', 'mistral_tool_call_ids', 'unique_tool_call_ids', 'gemini_thought_signature', 'no_max_tokens'] as const;
export type RequestRule = (typeof REQUEST_RULES)[number];

const assistantCalls = (messages: ChatMessage[]) =>
  messages.flatMap((message, index) => (message.role === 'assistant' && Array.isArray(message.tool_calls) ? [{ message, index }] : []));

const checks: Record<RequestRule, (request: ChatRequest) => OpenAiHttpError | undefined> = {
  deepseek_reasoning_echo: (request) => {
    const missing = assistantCalls(request.messages).find(({ message }) => typeof message.reasoning_content !== 'string' || message.reasoning_content === '');
    return missing
      ? new OpenAiHttpError(400, 'The `reasoning_content` in the thinking mode must be passed back to the API.', { code: 'invalid_request_error' })
      : undefined;
  },
  mistral_tool_call_ids: (request) => {
    const ids = request.messages.flatMap((message) => [
      ...(message.tool_calls ?? []).map((call) => call.id),
      ...(message.role === 'tool' ? [String(message.tool_call_id)] : []),
    ]);
    const bad = ids.find((id) => !/^[a-zA-Z0-9]{9}$/.test(id));
    return bad === undefined
      ? undefined
      : new OpenAiHttpError(400, `Tool call id was ${bad} but must be a-z, A-Z, 0-9, with a length of 9.`, { type: 'invalid_function_call', code: '3280' });
  },
  unique_tool_call_ids: (request) => {
    const ids = request.messages.flatMap((message) => (message.tool_calls ?? []).map((call) => call.id));
    const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
    return repeated === undefined
      ? undefined
      : new OpenAiHttpError(400, `messages: tool_use ids must be unique (${repeated} appears twice)`, { code: 'invalid_request_error' });
  },
  gemini_thought_signature: (request) => {
    const unsigned = assistantCalls(request.messages).find(({ message }) =>
      (message.tool_calls ?? []).some((call) => {
        const google = (call as { extra_content?: { google?: { thought_signature?: unknown } } }).extra_content?.google;
        return typeof google?.thought_signature !== 'string';
      }),
    );
    return unsigned
      ? new OpenAiHttpError(
          400,
          `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${unsigned.message.tool_calls?.[0]?.function.name}\` , position ${unsigned.index + 1}.`,
          { code: 'INVALID_ARGUMENT' },
        )
      : undefined;
  },
  no_max_tokens: (request) =>
    request.max_tokens === undefined
      ? undefined
      : new OpenAiHttpError(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", {
          param: 'max_tokens',
          code: 'unsupported_parameter',
        }),
};

/** Throws the provider's 400 for the first rule the request breaks. */
export const checkRequestRules = (rules: readonly RequestRule[] | undefined, request: ChatRequest): void => {
  for (const rule of rules ?? []) {
    const error = checks[rule](request);
    if (error) throw error;
  }
};

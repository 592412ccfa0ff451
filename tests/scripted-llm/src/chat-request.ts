import { OpenAiHttpError } from './openai-http-error.ts';

/** One content part of a message (`{ type: 'text', text }`, images, …). */
export interface ChatContentPart {
  type: string;
  text?: string;
  [key: string]: unknown;
}

/** A tool call as it appears in an assistant message of the request history. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A message of the request, as sent on the wire. */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}

/** The body of `POST /v1/chat/completions`, validated the way OpenAI validates it. Unknown fields pass through. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  tools?: unknown[];
  [key: string]: unknown;
}

const roles = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const invalid = (message: string, param: string | null, code: string | null = null): OpenAiHttpError => new OpenAiHttpError(400, message, { param, code });

/**
 * Checks a parsed body like OpenAI does, including the tool-call pairing rules: every assistant `tool_calls`
 * entry must be answered by a following `tool` message, and every `tool` message must answer one.
 */
export const parseChatRequest = (body: unknown): ChatRequest => {
  if (!isRecord(body)) throw invalid('The request body must be a JSON object.', null);
  if (typeof body.model !== 'string' || body.model === '') throw invalid('you must provide a model parameter', null);
  if (!Array.isArray(body.messages)) {
    throw invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  }
  if (body.messages.length === 0) throw invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages', 'empty_array');
  if (body.stream_options != null && body.stream !== true) {
    throw invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  }
  checkMessages(body.messages);
  return body as ChatRequest;
};

const checkMessages = (messages: unknown[]): void => {
  let block: { index: number; ids: Set<string>; pending: Set<string> } | undefined;
  const unanswered = () =>
    block &&
    block.pending.size > 0 &&
    invalid(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...block.pending].join(', ')}`,
      `messages.[${block.index}].role`,
    );

  messages.forEach((message, index) => {
    if (!isRecord(message) || typeof message.role !== 'string' || !roles.has(message.role)) {
      throw invalid(`Invalid value for 'messages.[${index}].role': expected one of ${[...roles].join(', ')}.`, `messages.[${index}].role`, 'invalid_value');
    }
    if (message.role === 'tool') {
      if (!block) {
        throw invalid("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${index}].role`);
      }
      const id = message.tool_call_id;
      if (typeof id !== 'string' || !block.ids.has(id)) {
        throw invalid(
          `Invalid parameter: 'tool_call_id' of '${String(id)}' not found in 'tool_calls' of previous message.`,
          `messages.[${index}].tool_call_id`,
        );
      }
      block.pending.delete(id);
      return;
    }
    const error = unanswered();
    if (error) throw error;
    const toolCalls = message.role === 'assistant' && Array.isArray(message.tool_calls) ? message.tool_calls : [];
    const ids = toolCalls.flatMap((call: unknown) => (isRecord(call) && typeof call.id === 'string' ? [call.id] : []));
    block = ids.length > 0 ? { index, ids: new Set(ids), pending: new Set(ids) } : undefined;
  });
  const error = unanswered();
  if (error) throw error;
};

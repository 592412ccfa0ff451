import type OpenAI from 'openai';
import type { ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { TokenUsage } from './run-options.ts';

/** A tool call reassembled from its streamed pieces. */
export interface LlmToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface LlmReply {
  content: string;
  toolCalls: LlmToolCall[];
  usage: TokenUsage | null;
  finishReason: string | null;
}

export interface CompletionRequest {
  model: string;
  messages: ChatCompletionMessageParam[];
  tools: ChatCompletionFunctionTool[];
  signal?: AbortSignal;
}

/** One streamed chat completion with tools; `onText` gets the assistant text as it arrives. */
export async function streamCompletion(client: OpenAI, request: CompletionRequest, onText: (text: string) => Promise<void>): Promise<LlmReply> {
  const stream = await client.chat.completions.create(
    { model: request.model, messages: request.messages, tools: request.tools, stream: true, stream_options: { include_usage: true } },
    { signal: request.signal },
  );
  const reply: LlmReply = { content: '', toolCalls: [], usage: null, finishReason: null };
  for await (const chunk of stream) {
    if (chunk.usage) reply.usage = { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens };
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.finish_reason) reply.finishReason = choice.finish_reason;
    if (choice.delta.content) {
      reply.content += choice.delta.content;
      await onText(choice.delta.content);
    }
    for (const piece of choice.delta.tool_calls ?? []) {
      const call = (reply.toolCalls[piece.index] ??= { id: '', name: '', arguments: '' });
      if (piece.id) call.id = piece.id;
      if (piece.function?.name) call.name = piece.id ? piece.function.name : call.name + piece.function.name;
      if (piece.function?.arguments) call.arguments += piece.function.arguments;
    }
  }
  reply.toolCalls = reply.toolCalls.filter(Boolean);
  return reply;
}

import type { ChatRequest } from './chat-request.ts';
import type { FinishReason, TextTurn, ToolCallsTurn } from './turn.ts';
import { countPromptTokens, countTokens, toUsage, type Usage } from './usage.ts';

/** A reply turn resolved to what goes on the wire, shared by the JSON and the streaming responses. */
export interface Reply {
  id: string;
  created: number;
  model: string;
  content: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: FinishReason;
  usage: Usage;
}

/** `requestNumber` (1-based, server-wide) makes the completion and tool-call ids deterministic. */
export const toReply = (turn: TextTurn | ToolCallsTurn, request: ChatRequest, requestNumber: number): Reply => {
  const specs = 'toolCalls' in turn ? turn.toolCalls : [];
  const toolCalls = specs.map((call, index) => ({
    id: call.id ?? `call_${requestNumber}_${index}`,
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
  }));
  const content = turn.content ?? null;
  const completionTokens = countTokens(content ?? '') + toolCalls.reduce((sum, call) => sum + countTokens(call.name) + countTokens(call.arguments), 0);
  return {
    id: `chatcmpl-scripted-${requestNumber}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    content,
    toolCalls,
    finishReason: turn.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: toUsage(turn.usage?.promptTokens ?? countPromptTokens(request), turn.usage?.completionTokens ?? completionTokens),
  };
};

import type { Event } from '@metisai/sdk/schemas';
import type { ChatCompletionMessageFunctionToolCall, ChatCompletionMessageParam } from 'openai/resources/chat/completions';

export const CONDENSED_OUTPUT = '[output condensed]';
const NO_RESULT = 'This action has no result.';

/**
 * Rebuilds the OpenAI messages of a conversation from its stored events: user and assistant messages,
 * actions as the assistant's `tool_calls` (an assistant text right before them shares their message),
 * and right after them one `tool` message per call with its observation, wherever that observation was
 * stored (a rejection may come after a later user message). Observations stored before `condenseBefore`
 * are replaced by a short note.
 */
export function toChatMessages(events: readonly Event[], condenseBefore = 0): ChatCompletionMessageParam[] {
  const results = new Map<string, string>();
  events.forEach((event, index) => {
    if (event.type === 'observation') results.set(event.tool_call_id, index < condenseBefore ? CONDENSED_OUTPUT : event.content);
  });
  const messages: ChatCompletionMessageParam[] = [];
  let calls: ChatCompletionMessageFunctionToolCall[] = [];
  let text: string | null = null;
  const closeTurn = () => {
    if (calls.length > 0) {
      messages.push({ role: 'assistant', content: text, tool_calls: calls });
      for (const call of calls) messages.push({ role: 'tool', tool_call_id: call.id, content: results.get(call.id) ?? NO_RESULT });
    } else if (text !== null) {
      messages.push({ role: 'assistant', content: text });
    }
    calls = [];
    text = null;
  };
  for (const event of events) {
    if (event.type === 'action') {
      calls.push({ id: event.tool_call_id, type: 'function', function: { name: event.tool, arguments: JSON.stringify(event.args) } });
    } else if (event.type === 'observation') {
      closeTurn(); // the next action belongs to a new reply
    } else if (event.type === 'message') {
      closeTurn();
      if (event.role === 'user') messages.push({ role: 'user', content: event.content });
      else text = event.content;
    }
  }
  closeTurn();
  return messages;
}

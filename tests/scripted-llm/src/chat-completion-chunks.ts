import type { Reply } from './reply.ts';
import { splitIntoDeltas } from './split-into-deltas.ts';

/**
 * The `chat.completion.chunk` objects of a streamed reply, in OpenAI's order: the role, the text deltas, per tool
 * call a first delta with `index`, `id` and `function.name` followed by the `function.arguments` pieces, then the
 * finish reason; with `includeUsage`, every chunk carries `usage: null` and a last chunk with no choices carries it.
 */
export const toChatCompletionChunks = (reply: Reply, includeUsage: boolean): object[] => {
  const chunk = (choices: object[], usage: object | null = null) => ({
    id: reply.id,
    object: 'chat.completion.chunk',
    created: reply.created,
    model: reply.model,
    service_tier: 'default',
    system_fingerprint: 'fp_scripted',
    choices,
    ...(includeUsage && { usage }),
  });
  const delta = (value: object) => chunk([{ index: 0, delta: value, logprobs: null, finish_reason: null }]);

  const chunks = [delta({ role: 'assistant', content: reply.content === null ? null : '', refusal: null })];
  for (const piece of splitIntoDeltas(reply.content ?? '')) chunks.push(delta({ content: piece }));
  reply.toolCalls.forEach((call, index) => {
    chunks.push(delta({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const piece of splitIntoDeltas(call.arguments)) chunks.push(delta({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  chunks.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: reply.finishReason }]));
  if (includeUsage) chunks.push(chunk([], reply.usage));
  return chunks;
};

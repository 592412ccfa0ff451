import type { Reply } from './reply.ts';

/** The non-streaming `chat.completion` object. */
export const toChatCompletion = (reply: Reply) => ({
  id: reply.id,
  object: 'chat.completion' as const,
  created: reply.created,
  model: reply.model,
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant' as const,
        content: reply.content,
        refusal: null,
        annotations: [],
        ...(reply.toolCalls.length > 0 && {
          tool_calls: reply.toolCalls.map((call) => ({
            id: call.id,
            type: 'function' as const,
            function: { name: call.name, arguments: call.arguments },
          })),
        }),
      },
      logprobs: null,
      finish_reason: reply.finishReason,
    },
  ],
  usage: reply.usage,
  service_tier: 'default',
  system_fingerprint: 'fp_scripted',
});

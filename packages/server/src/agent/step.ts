import { callLlm } from './call-llm.ts';
import { toStoredArgs } from './parse-tool-call.ts';
import type { RunContext } from './run-context.ts';
import type { RunEnd } from './run-ends.ts';

export type StepResult = { end: RunEnd } | { toolCallCount: number };

/**
 * One LLM call. Its text is stored as an assistant message (id = the deltas' `message_id`), then every
 * tool call as an action event; the actions run afterwards (see `executePendingActions`).
 */
export async function step(run: RunContext, systemPrompt: string): Promise<StepResult> {
  const outcome = await callLlm(run, systemPrompt);
  if ('end' in outcome) return outcome;
  const { reply, messageId } = outcome;
  if (reply.content) await run.emit({ type: 'message', id: messageId, role: 'assistant', content: reply.content });
  for (const call of reply.toolCalls) {
    await run.emit({ type: 'action', tool_call_id: call.id || `call_${run.newId()}`, tool: call.name, args: toStoredArgs(call.arguments) });
  }
  return { toolCallCount: reply.toolCalls.length };
}

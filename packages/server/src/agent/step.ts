import type { ActionEvent } from '@metisai/sdk/schemas';
import { callLlm } from './call-llm.ts';
import type { LlmReply } from './llm.ts';
import { RAW_ARGUMENTS, toStoredArgs } from './parse-tool-call.ts';
import type { RunContext } from './run-context.ts';
import type { RunEnd } from './run-ends.ts';
import { findTextToolCalls } from './text-tool-calls.ts';

export type StepResult = { end: RunEnd } | { toolCallCount: number };

/** The observation of a call whose arguments the token limit cut off: the model should know why, not guess. */
const cutOff = (tool: string) =>
  `ERROR: Your reply hit the output token limit (finish_reason: length) while writing the arguments of this ${tool} call, so they were cut off and it did not run. Send a shorter call: split a long file or command into several smaller steps.`;

/**
 * One LLM call. Its text (with its reasoning and how it ended) is stored as an assistant message (id = the deltas'
 * `message_id`), then every tool call as an action event with an id of ours (the provider's kept beside it); the
 * actions run afterwards (see `executePendingActions`). A reply without native tool calls whose text holds calls for
 * enabled tools (see `findTextToolCalls`) runs them as if native, with an `error` event `text_tool_call` saying so.
 * Calls whose arguments a `length` stop cut off get their observation here, telling the model what happened.
 */
export async function step(run: RunContext, systemPrompt: string): Promise<StepResult> {
  const outcome = await callLlm(run, systemPrompt);
  if ('end' in outcome) return outcome;
  const { reply, messageId } = outcome;
  let content = reply.content;
  let calls = reply.toolCalls.map((call) => ({ ...call }));
  let notice: string | undefined;
  if (calls.length === 0 && run.options.textToolCalls !== false) {
    const found = findTextToolCalls(
      content,
      run.tools.map((tool) => tool.name),
    );
    if (found) {
      content = found.content;
      calls = found.calls.map((call) => ({ ...call, providerId: '', providerFields: undefined }));
      notice = `The model wrote ${calls.length === 1 ? 'a tool call' : `${calls.length} tool calls`} as text (${found.format}) instead of a native tool call; it ran as if native and the markup was removed from the message. Serve the model with a tool-call parser to avoid this.`;
    }
  }
  if (content || reply.reasoning) await run.emit(assistantMessage(messageId, content, reply));
  if (notice) await run.emit({ type: 'error', code: 'text_tool_call', message: notice });
  const actions: ActionEvent[] = [];
  for (const call of calls) {
    const stored = await run.emit({
      type: 'action',
      tool_call_id: run.newToolCallId(),
      tool: call.name,
      args: toStoredArgs(call.arguments),
      ...(call.providerId ? { provider_tool_call_id: call.providerId } : {}),
      ...(call.providerFields ? { provider_fields: call.providerFields } : {}),
    });
    actions.push(stored as ActionEvent);
  }
  if (reply.finishReason === 'length') {
    for (const action of actions) if (typeof action.args[RAW_ARGUMENTS] === 'string') await run.observe(action, { content: cutOff(action.tool) });
  }
  return { toolCallCount: calls.length };
}

function assistantMessage(id: string, content: string, reply: LlmReply) {
  return {
    type: 'message' as const,
    id,
    role: 'assistant' as const,
    content,
    finish_reason: reply.finishReason ?? (reply.toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    ...(reply.reasoning ? { reasoning_content: reply.reasoning, reasoning_field: reply.reasoningField ?? 'reasoning_content' } : {}),
    ...(reply.providerFields ? { provider_fields: reply.providerFields } : {}),
  };
}

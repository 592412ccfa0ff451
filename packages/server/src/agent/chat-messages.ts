import type { ActionEvent, Event, MessageEvent } from '@metisai/sdk/schemas';
import type { ChatCompletionMessageFunctionToolCall, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { posix } from 'node:path';
import { observationsOf } from './history.ts';
import { derivedToolCallId, isPortableToolCallId } from './tool-call-ids.ts';

export const CONDENSED_OUTPUT = '[output condensed]';

/** A size as people read it: `512 bytes`, `12.3 KB`, `4.1 MB` (units of 1024). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : Number(value.toFixed(1))} ${units[unit]}`;
}

/**
 * A user message as the model reads it: its text, then one line per attached workspace file, with its absolute path in
 * the sandbox (`workdir` + the workspace path), size and type — `[attached: /workspace/report.pdf, 12 KB, application/pdf]`.
 */
export function userMessageText(message: MessageEvent, workdir: string): string {
  const attachments = message.attachments ?? [];
  if (attachments.length === 0) return message.content;
  const lines = attachments.map((file) => `[attached: ${workdir ? posix.join(workdir, file.path) : file.path}, ${formatSize(file.size)}, ${file.type}]`);
  return `${message.content}\n\n${lines.join('\n')}`;
}

const NO_RESULT = 'This action has no result.';

/** The ids sent for each action: its own when unique and portable, else one derived from the event (older logs). */
function wireIds(actions: readonly ActionEvent[]): Map<ActionEvent, string> {
  const taken = new Set<string>();
  const ids = new Map<ActionEvent, string>();
  for (const action of actions) {
    const id = isPortableToolCallId(action.tool_call_id) && !taken.has(action.tool_call_id) ? action.tool_call_id : derivedToolCallId(action.id, taken);
    taken.add(id);
    ids.set(action, id);
  }
  return ids;
}

/**
 * The assistant message of a turn with tool calls: its text (null when none), its reasoning sent back the way it came
 * (`reasoning_content` or `reasoning`, or `<think>…</think>` ahead of the text) and the provider's opaque fields
 * (OpenRouter's `reasoning_details`). DeepSeek refuses a tool-call turn without its `reasoning_content`; reasoning of
 * turns without tool calls is not sent (DeepSeek ignores it, others are not asked to read it).
 */
function assistantWithCalls(message: MessageEvent | null, calls: ChatCompletionMessageFunctionToolCall[]): ChatCompletionMessageParam {
  const reasoning = message?.reasoning_content ?? '';
  let content = message?.content ? message.content : null;
  const extra: Record<string, unknown> = { ...message?.provider_fields };
  if (reasoning && message?.reasoning_field === 'think_tag') content = `<think>${reasoning}</think>\n${content ?? ''}`;
  else if (reasoning && message?.reasoning_field === 'reasoning') extra.reasoning = reasoning;
  else if (reasoning) extra.reasoning_content = reasoning;
  return { role: 'assistant', content, tool_calls: calls, ...extra } as ChatCompletionMessageParam;
}

/**
 * Rebuilds the OpenAI messages of a conversation from its stored events: user and assistant messages,
 * actions as the assistant's `tool_calls` (an assistant message right before them shares their message, with its
 * reasoning and provider fields), and right after them one `tool` message per call with its observation, wherever
 * that observation was stored (a rejection may come after a later user message). Results pair with their calls by
 * order (`observationsOf`), and every call goes out with an id unique in the history, in the portable form (see
 * `isPortableToolCallId`): logs stored before ids were the server's own may repeat a provider's `call_0`.
 * Observations stored before `condenseBefore` are replaced by a short note. A user message's attachments are named in
 * its text, with their paths under `workdir` (see `userMessageText`).
 */
export function toChatMessages(events: readonly Event[], condenseBefore = 0, workdir = ''): ChatCompletionMessageParam[] {
  const observations = observationsOf(events);
  const actions = events.filter((event): event is ActionEvent => event.type === 'action');
  const ids = wireIds(actions);
  const indexOf = new Map(events.map((event, index) => [event, index]));
  const messages: ChatCompletionMessageParam[] = [];
  let turn: ActionEvent[] = [];
  let text: MessageEvent | null = null;
  const closeTurn = () => {
    if (turn.length > 0) {
      const calls = turn.map((action): ChatCompletionMessageFunctionToolCall => {
        const call = { id: ids.get(action)!, type: 'function' as const, function: { name: action.tool, arguments: JSON.stringify(action.args) } };
        return { ...call, ...action.provider_fields } as ChatCompletionMessageFunctionToolCall;
      });
      messages.push(assistantWithCalls(text, calls));
      for (const action of turn) {
        const observation = observations.get(action);
        const condensed = observation !== undefined && indexOf.get(observation)! < condenseBefore;
        messages.push({ role: 'tool', tool_call_id: ids.get(action)!, content: condensed ? CONDENSED_OUTPUT : (observation?.content ?? NO_RESULT) });
      }
    } else if (text !== null && text.content !== '') {
      messages.push({ role: 'assistant', content: text.content });
    }
    turn = [];
    text = null;
  };
  for (const event of events) {
    if (event.type === 'action') {
      turn.push(event);
    } else if (event.type === 'observation') {
      closeTurn(); // the next action belongs to a new reply
    } else if (event.type === 'message') {
      closeTurn();
      if (event.role === 'user') messages.push({ role: 'user', content: userMessageText(event, workdir) });
      else text = event;
    }
  }
  closeTurn();
  return messages;
}

import type { ActionEvent, Event, ObservationEvent } from '@metisai/sdk/schemas';

/** Events after the last user message: the current task. */
export function currentTask(events: readonly Event[]): readonly Event[] {
  const last = events.findLastIndex((event) => event.type === 'message' && event.role === 'user');
  return events.slice(last + 1);
}

/**
 * Indexes of events that start an LLM reply: an assistant message or an action not preceded by one of the same reply.
 * `state`, `error` and `workspace` events (which may fall between a reply's parts) are passed over.
 */
export function replyStarts(events: readonly Event[]): number[] {
  const starts: number[] = [];
  let previous: Event | undefined;
  events.forEach((event, index) => {
    if (event.type === 'state' || event.type === 'error' || event.type === 'workspace') return;
    const isReply = (event.type === 'message' && event.role === 'assistant') || event.type === 'action';
    const continues = event.type === 'action' && (previous?.type === 'action' || (previous?.type === 'message' && previous.role === 'assistant'));
    if (isReply && !continues) starts.push(index);
    previous = event;
  });
  return starts;
}

/**
 * Each action's observation: the first observation with its `tool_call_id` stored after it that no earlier action
 * took. Pairing by order keeps conversations stored before ids were the server's own working, where a provider gave
 * several calls the same id (`call_0`) and an id-keyed lookup paired results with the wrong call.
 */
export function observationsOf(events: readonly Event[]): Map<ActionEvent, ObservationEvent> {
  const waiting = new Map<string, ActionEvent[]>();
  const paired = new Map<ActionEvent, ObservationEvent>();
  for (const event of events) {
    if (event.type === 'action') {
      const queue = waiting.get(event.tool_call_id);
      if (queue) queue.push(event);
      else waiting.set(event.tool_call_id, [event]);
    } else if (event.type === 'observation') {
      const action = waiting.get(event.tool_call_id)?.shift();
      if (action) paired.set(action, event);
    }
  }
  return paired;
}

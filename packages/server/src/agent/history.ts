import type { Event } from '@metisai/sdk/schemas';

/** Events after the last user message: the current task. */
export function currentTask(events: readonly Event[]): readonly Event[] {
  const last = events.findLastIndex((event) => event.type === 'message' && event.role === 'user');
  return events.slice(last + 1);
}

/** Indexes of events that start an LLM reply: an assistant message or an action not preceded by one of the same reply. */
export function replyStarts(events: readonly Event[]): number[] {
  const starts: number[] = [];
  let previous: Event | undefined;
  events.forEach((event, index) => {
    if (event.type === 'state' || event.type === 'error') return;
    const isReply = (event.type === 'message' && event.role === 'assistant') || event.type === 'action';
    const continues = event.type === 'action' && (previous?.type === 'action' || (previous?.type === 'message' && previous.role === 'assistant'));
    if (isReply && !continues) starts.push(index);
    previous = event;
  });
  return starts;
}

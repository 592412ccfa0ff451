import type { ActionEvent, Event } from '@metisai/sdk/schemas';
import { observationsOf } from './history.ts';

/** Actions without an observation, in order: the first one is what confirmation mode waits on. */
export function pendingActions(events: readonly Event[]): ActionEvent[] {
  const observed = observationsOf(events);
  return events.filter((event): event is ActionEvent => event.type === 'action' && !observed.has(event));
}

/** A user message was stored after this action (the user wrote instead of confirming). */
export const hasUserMessageAfter = (events: readonly Event[], action: ActionEvent): boolean =>
  events.slice(events.indexOf(action) + 1).some((event) => event.type === 'message' && event.role === 'user');

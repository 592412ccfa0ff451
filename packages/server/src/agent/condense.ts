import type { Event } from '@metisai/sdk/schemas';
import { CONDENSED_OUTPUT } from './chat-messages.ts';
import { replyStarts } from './history.ts';

/** The outputs of this many latest LLM replies are kept whole. */
const KEEP_RECENT_REPLIES = 2;

/**
 * Where condensing starts keeping tool outputs: observations before the returned index reach the LLM as
 * "[output condensed]". User messages (the first one included) and assistant texts are always kept.
 * Returns `after` when condensing would change nothing.
 */
export function condenseBoundary(events: readonly Event[], after: number): number {
  const boundary = replyStarts(events).at(-KEEP_RECENT_REPLIES) ?? 0;
  const changes = events.some((event, index) => index >= after && index < boundary && event.type === 'observation' && event.content !== CONDENSED_OUTPUT);
  return changes ? boundary : after;
}

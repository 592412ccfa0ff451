import type { Conversation } from '@metisai/sdk';
import type { ConsoleCatalog } from '../i18n/console-messages.ts';

/** Longest first message shown in place of a fork's missing title, in characters (then an ellipsis). */
const MAX_MESSAGE_CHARS = 60;

/**
 * A conversation's title as the console shows it (headings, lists, the page title): its own title; for a fork
 * without one (the server gives a fork its original's title, here none), its first message when known (one line, at
 * most 60 characters); else "Untitled conversation". A fork then says so and names its step
 * (`forked_from.seq`): "Build the site (fork at step 12)". The stored title is not changed.
 */
export function conversationTitle(
  conversation: Pick<Conversation, 'title' | 'forked_from'>,
  text: Pick<ConsoleCatalog, 'untitled' | 'forkTitle'>,
  firstMessage?: string,
): string {
  const fork = conversation.forked_from;
  if (!fork) return conversation.title || text.untitled;
  const line = firstMessage?.trim().split('\n')[0]?.trim() ?? '';
  const message = line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS - 1).trimEnd()}…` : line;
  return text.forkTitle(conversation.title || message || text.untitled, fork.seq);
}

// Compiled by `npm run typecheck` (never run): it stops compiling if the element or its events lose their types.
import type { MetisChat, MetisRunEndEvent } from '../../src/index.ts';

/** The element's tag and its events are typed for any page that imports the module. */
export function typedApi(): MetisChat {
  const chat = document.createElement('metis-chat');
  chat.addEventListener('metis-run-end', (event) => {
    const state: string = event.state;
    const reason: string | null = event.reason;
    void [state, reason, event satisfies MetisRunEndEvent];
  });
  chat.addEventListener('metis-error', (event) => void (event.code satisfies string));
  chat.addEventListener('metis-ready', (event) => void (event.conversationId satisfies string | null));
  chat.addEventListener('metis-message', (event) => void (event.role satisfies 'user' | 'assistant'));
  chat.addEventListener('metis-run-start', (event) => void (event.conversationId satisfies string));
  chat.addEventListener('metis-conversation-change', (event) => void (event.conversationId satisfies string | null));
  chat.tokenProvider = async () => 'a session token';
  void chat.send('hello');
  return chat;
}

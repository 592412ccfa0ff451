/**
 * `<metis-chat>`: the embeddable MetisAI chat. Importing this module defines the element (once: loading it twice is
 * harmless).
 *
 * ```html
 * <script src="https://metis.example.com/widget/0.1.0/metis-chat.iife.js" defer></script>
 * <metis-chat server="https://metis.example.com" agent="…"></metis-chat>
 * ```
 */
import './shared/jitless.ts';
import { MetisChat } from './metis-chat/metis-chat.ts';

export { MetisChat } from './metis-chat/metis-chat.ts';
export {
  MetisConversationChangeEvent,
  MetisErrorEvent,
  MetisMessageEvent,
  MetisReadyEvent,
  MetisRunEndEvent,
  MetisRunStartEvent,
} from './metis-chat/events.ts';
export type { ChatConnection, ChatStream } from './shared/connection/chat-connection.ts';

if (!customElements.get('metis-chat')) customElements.define('metis-chat', MetisChat);

export { Conversations, type StreamOptions } from './conversations.ts';
export { Messages } from './messages.ts';
export { Events } from './events.ts';

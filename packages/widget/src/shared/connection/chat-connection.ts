import type { Agent, Conversation, ConversationStreamEvent, Event, MessageEvent, Page } from '@metisai/sdk/lean';

/** The live events of a conversation: an async iterable that reports when its connection opened. */
export interface ChatStream extends AsyncIterable<ConversationStreamEvent> {
  /** Resolves once the connection is open; rejects if it never opens. */
  readonly connected: Promise<void>;
  /** Closes the connection; the iteration ends quietly. */
  abort(): void;
}

/**
 * How the widget talks to a MetisAI server: everything it does goes through here. Owner mode (`token` /
 * `tokenProvider`, a user's session) uses `/api/v1/conversations/…` and `/api/v1/agents/…`; visitor mode
 * (`publishable-key`) uses the server's embedding routes, `/api/v1/embed/…` (see `visitor-connection.ts`).
 */
export interface ChatConnection {
  readonly mode: 'owner' | 'visitor';
  /** Whether this connection may approve or reject a step (owners may; visitors wait). */
  readonly canConfirm: boolean;
  /** Who is chatting, for keys in `localStorage` (a user id, a visitor id). */
  identity(): Promise<string>;
  /** The agent, for its name and status; `undefined` without an agent (conversations on the user's settings). */
  agent(): Promise<Pick<Agent, 'id' | 'name' | 'status'> | undefined>;
  listConversations(): Promise<Conversation[]>;
  createConversation(): Promise<Conversation>;
  getConversation(conversationId: string): Promise<Conversation>;
  /** Stored events with `seq > after`, in order, at most `limit` (≤ 1000). */
  listEvents(conversationId: string, after: number, limit: number): Promise<Page<Event>>;
  /** Live events after `after`; one connection, no reconnects (the widget reconnects itself). */
  stream(conversationId: string, after: number): ChatStream;
  sendMessage(conversationId: string, content: string, idempotencyKey: string): Promise<MessageEvent>;
  stop(conversationId: string): Promise<void>;
  confirm(conversationId: string, approve: boolean): Promise<void>;
}

/** A problem with the element's configuration (its code is in the message catalog). */
export class WidgetConfigError extends Error {
  override name = 'WidgetConfigError';
  readonly code: 'missing_server' | 'missing_credentials' | 'api_key_refused' | 'visitor_session_failed';

  constructor(code: WidgetConfigError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

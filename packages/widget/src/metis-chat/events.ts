/** Options of every `<metis-chat>` event: it bubbles out of the shadow root. */
const init = { bubbles: true, composed: true } as const;

/** `metis-ready`: connected; `conversationId` is the conversation reopened, or null (a new chat). */
export class MetisReadyEvent extends Event {
  readonly conversationId: string | null;
  constructor(conversationId: string | null) {
    super('metis-ready', init);
    this.conversationId = conversationId;
  }
}

/**
 * `metis-error`: something failed. `code` is stable (the server's `error.code`, an event's code, or the widget's own:
 * `missing_server`, `missing_credentials`, `api_key_refused`, `visitor_session_failed`, `agent_offline`,
 * `connection_error`…); `isFatal` when the widget shows its error state and does nothing more.
 */
export class MetisErrorEvent extends Event {
  readonly code: string;
  readonly message: string;
  readonly isFatal: boolean;
  constructor(code: string, message: string, isFatal: boolean) {
    super('metis-error', init);
    this.code = code;
    this.message = message;
    this.isFatal = isFatal;
  }
}

/** `metis-message`: a message was stored (the user's or the agent's), as it arrived on the live stream. */
export class MetisMessageEvent extends Event {
  readonly conversationId: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly seq: number;
  constructor(conversationId: string, role: 'user' | 'assistant', content: string, seq: number) {
    super('metis-message', init);
    this.conversationId = conversationId;
    this.role = role;
    this.content = content;
    this.seq = seq;
  }
}

/** `metis-run-start`: the agent started working on the conversation. */
export class MetisRunStartEvent extends Event {
  readonly conversationId: string;
  constructor(conversationId: string) {
    super('metis-run-start', init);
    this.conversationId = conversationId;
  }
}

/**
 * `metis-run-end`: the run ended; `state` is `idle` (answered), `finished`, `awaiting_confirmation`, `stopped` or
 * `error`, and `reason` says why (`user_stop`, an error code…).
 */
export class MetisRunEndEvent extends Event {
  readonly conversationId: string;
  readonly state: string;
  readonly reason: string | null;
  constructor(conversationId: string, state: string, reason: string | null) {
    super('metis-run-end', init);
    this.conversationId = conversationId;
    this.state = state;
    this.reason = reason;
  }
}

/** `metis-conversation-change`: the current conversation changed (`null`: a new chat, not created yet). */
export class MetisConversationChangeEvent extends Event {
  readonly conversationId: string | null;
  constructor(conversationId: string | null) {
    super('metis-conversation-change', init);
    this.conversationId = conversationId;
  }
}

declare global {
  // `HTMLElementEventMap` extends this map: `chat.addEventListener('metis-run-end', (event) => event.state)` is typed.
  interface GlobalEventHandlersEventMap {
    'metis-ready': MetisReadyEvent;
    'metis-error': MetisErrorEvent;
    'metis-message': MetisMessageEvent;
    'metis-run-start': MetisRunStartEvent;
    'metis-run-end': MetisRunEndEvent;
    'metis-conversation-change': MetisConversationChangeEvent;
  }
}

import { ConflictError, type Conversations } from '@metisai/sdk/lean';
import type { ChatStream } from './chat-connection.ts';

/**
 * The conversation calls owner and visitor connections make alike, on their `Conversations` resource
 * (`/conversations`, or `/embed/conversations` for visitors): read one, page its events, stream from a `seq`, send a
 * message, stop the run.
 */
export abstract class ConversationsConnection {
  /** The resource the calls go through. */
  protected abstract get conversations(): Conversations;

  getConversation(conversationId: string) {
    return this.conversations.get(conversationId);
  }

  listEvents(conversationId: string, after: number, limit: number) {
    return this.conversations.events.list(conversationId, { after, limit }).firstPage();
  }

  /** Reconnects are the chat session's (it resumes with catch-up), so the stream itself does not retry. */
  stream(conversationId: string, after: number): ChatStream {
    return this.conversations.stream(conversationId, { after, maxReconnects: 0, idleTimeoutMs: 45_000 });
  }

  sendMessage(conversationId: string, content: string, idempotencyKey: string) {
    return this.conversations.messages.create(conversationId, { content }, { idempotencyKey });
  }

  async stop(conversationId: string) {
    try {
      await this.conversations.stop(conversationId);
    } catch (error) {
      // Already over: nothing to stop.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

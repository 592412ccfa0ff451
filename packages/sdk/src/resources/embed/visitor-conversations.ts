import type { ApiClient } from '../../core/api-client.ts';
import type { EventStream } from '../../core/event-stream.ts';
import { PagePromise } from '../../core/pagination.ts';
import type { RequestOptions } from '../../core/request-options.ts';
import type { RunOptions, RunStream } from '../../core/run-stream.ts';
import { path } from '../../internal/path.ts';
import { pageOf, type ListParams } from '../../schemas/common.ts';
import { ConversationSchema, type Conversation } from '../../schemas/conversation.ts';
import type { VisitorConversationCreateParams } from '../../schemas/embed.ts';
import type { Changes } from '../../schemas/workspace.ts';
import { Conversations, type StreamOptions } from '../conversations/conversations.ts';
import type { Events } from '../conversations/events.ts';
import type { Messages } from '../conversations/messages.ts';
import { APIResource } from '../resource.ts';

const PREFIX = '/embed/conversations';
const ConversationPageSchema = pageOf(ConversationSchema);

/**
 * `/api/v1/embed/conversations`: a visitor's own conversations with the agent of its token — what `conversations`
 * is to an owner, without renaming and confirming (only the owner approves a visitor's actions; the visitor sees the
 * `awaiting_confirmation` state).
 */
export class VisitorConversations extends APIResource {
  /** `…/{id}/messages`. */
  readonly messages: Messages;
  /** `…/{id}/events` as JSON pages. */
  readonly events: Events;
  readonly #conversations: Conversations;

  /** @internal */
  constructor(client: ApiClient) {
    super(client);
    this.#conversations = new Conversations(client, PREFIX);
    this.messages = this.#conversations.messages;
    this.events = this.#conversations.events;
  }

  /** The visitor's conversations, newest first (`GET /embed/conversations`). */
  list(params: Omit<ListParams, 'after'> & { after?: string } = {}, options?: RequestOptions): PagePromise<Conversation> {
    return new PagePromise((after) => this.client.get(PREFIX, ConversationPageSchema, { ...options, query: { limit: params.limit, after } }), params.after);
  }

  /** Starts a conversation with the token's agent (`POST /embed/conversations`). */
  create(params: VisitorConversationCreateParams = {}, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ ...options, method: 'post', path: PREFIX, body: params, schema: ConversationSchema });
  }

  /** One of the visitor's conversations (`GET /embed/conversations/{id}`); another's is a `NotFoundError`. */
  get(conversationId: string, options?: RequestOptions): Promise<Conversation> {
    return this.client.get(PREFIX + path`/${conversationId}`, ConversationSchema, options);
  }

  /** Deletes one of the visitor's conversations (`DELETE /embed/conversations/{id}`). */
  delete(conversationId: string, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'delete', path: PREFIX + path`/${conversationId}` });
  }

  /** Stops its running agent (`POST …/stop`). */
  stop(conversationId: string, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ ...options, method: 'post', path: PREFIX + path`/${conversationId}/stop`, schema: ConversationSchema });
  }

  /**
   * Its live events (`GET …/events` as server-sent events), as `conversations.stream()`: a stream opened while an answer
   * or a command's output is in flight yields a `catch_up` event with what streamed so far before the live pieces. It
   * ends with a `StreamEndedError` `token_stale` when the agent's embed policy changes under the token.
   */
  stream(conversationId: string, options: StreamOptions = {}): EventStream {
    return this.#conversations.stream(conversationId, options);
  }

  /**
   * Files added, modified and deleted in its workspace since the baseline, each with its unified diff
   * (`GET /embed/conversations/{id}/changes`).
   */
  changes(conversationId: string, options?: RequestOptions): Promise<Changes> {
    return this.#conversations.changes(conversationId, options);
  }

  /** Sends a message and follows the run it starts, as `conversations.run()` (`attachments`: files uploaded first with `VisitorFiles`). */
  run(conversationId: string, content: string, options: RunOptions = {}): RunStream {
    return this.#conversations.run(conversationId, content, options);
  }
}

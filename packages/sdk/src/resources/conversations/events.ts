import { PagePromise } from '../../core/pagination.ts';
import type { RequestOptions } from '../../core/request-options.ts';
import { path } from '../../internal/path.ts';
import { pageOf } from '../../schemas/common.ts';
import { ConversationSchema, type EventListParams } from '../../schemas/conversation.ts';
import { EventResponseSchema, type Event } from '../../schemas/event.ts';
import type { ApiClient } from '../../core/api-client.ts';
import { APIResource } from '../resource.ts';

const EventPageSchema = pageOf(EventResponseSchema);

/** `/api/v1/conversations/{id}/events` as JSON pages. For the live stream, see `conversations.stream()`. */
export class Events extends APIResource {
  /** `/conversations`, or `/embed/conversations` for a visitor's. */
  readonly #prefix: string;

  /** @internal */
  constructor(client: ApiClient, prefix = '/conversations') {
    super(client);
    this.#prefix = prefix;
  }

  /** The conversation's stored event log in `seq` order (`GET …/events`); `after` is an exclusive `seq`. */
  list(conversationId: string, params: EventListParams = {}, options?: RequestOptions): PagePromise<Event> {
    return new PagePromise(
      (after) => this.client.get(this.#prefix + path`/${conversationId}/events`, EventPageSchema, { ...options, query: { limit: params.limit, after } }),
      params.after === undefined ? undefined : String(params.after),
    );
  }

  /** The `seq` of the conversation's last stored event (0 when empty): one `GET /conversations/{id}`. */
  async lastSeq(conversationId: string, options?: RequestOptions): Promise<number> {
    return (await this.client.get(this.#prefix + path`/${conversationId}`, ConversationSchema, options)).last_seq;
  }
}

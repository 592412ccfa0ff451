import { PagePromise } from '../../core/pagination.ts';
import type { RequestOptions } from '../../core/request-options.ts';
import { path } from '../../internal/path.ts';
import { pageOf } from '../../schemas/common.ts';
import type { EventListParams, MessageCreateParams } from '../../schemas/conversation.ts';
import { MessageEventSchema, type MessageEvent } from '../../schemas/event.ts';
import type { ApiClient } from '../../core/api-client.ts';
import { APIResource } from '../resource.ts';

const MessagePageSchema = pageOf(MessageEventSchema);

/** `/api/v1/conversations/{id}/messages`. */
export class Messages extends APIResource {
  /** `/conversations`, or `/embed/conversations` for a visitor's. */
  readonly #prefix: string;

  /** @internal */
  constructor(client: ApiClient, prefix = '/conversations') {
    super(client);
    this.#prefix = prefix;
  }

  /** The conversation's messages in order (`GET …/messages`); pages by `seq` (`after` is exclusive). */
  list(conversationId: string, params: EventListParams = {}, options?: RequestOptions): PagePromise<MessageEvent> {
    return new PagePromise(
      (after) => this.client.get(this.#prefix + path`/${conversationId}/messages`, MessagePageSchema, { ...options, query: { limit: params.limit, after } }),
      params.after === undefined ? undefined : String(params.after),
    );
  }

  /**
   * Sends a message (`POST …/messages`); answers the stored message event (202) and the run starts. A run already
   * going is a `ConflictError` (`conversation_busy`), as is an agent that is not running (`agent_not_running`).
   * `attachments` name workspace files uploaded before (`[{ path: 'report.pdf' }]`): the event lists them with their
   * size and type, and the model is told they are there; a path that does not exist is a `BadRequestError` naming
   * `attachments.<i>.path`.
   * To follow the run, use `conversations.run()`.
   */
  create(conversationId: string, params: MessageCreateParams, options?: RequestOptions): Promise<MessageEvent> {
    return this.client.request({
      ...options,
      method: 'post',
      path: this.#prefix + path`/${conversationId}/messages`,
      body: params,
      schema: MessageEventSchema,
    });
  }
}

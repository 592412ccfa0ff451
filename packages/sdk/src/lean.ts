/**
 * `@metisai/sdk/lean`: the client with only conversations and agents, for bundles where size matters (the
 * `<metis-chat>` widget). Same transport, errors, streams and schemas as `MetisClient`, without the account, settings,
 * secrets and API-key resources; the schemas are exported as types only, so bundlers keep only those the resources use.
 *
 * ```ts
 * import { LeanClient } from '@metisai/sdk/lean';
 * const client = new LeanClient({ baseUrl: 'https://metis.example.com', token: () => fetchTokenFromMyBackend() });
 * for await (const event of client.conversations.run(conversationId, 'Hello')) console.log(event.type);
 * ```
 */
import { ApiClient, type ClientOptions } from './core/api-client.ts';
import { AgentsCore } from './resources/agents-core.ts';
import { Conversations } from './resources/conversations/conversations.ts';

export { ApiClient, type ClientOptions, type TokenProvider } from './core/api-client.ts';
export type { RequestOptions, Query } from './core/request-options.ts';
export {
  MetisError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ServerError,
  ConnectionError,
  TimeoutError,
  AbortError,
  type MetisErrorInit,
} from './core/errors.ts';
export { PagePromise } from './core/pagination.ts';
export { EventStream, isKnownEvent, type ConversationStreamEvent, type EventStreamOptions, type UnknownEvent } from './core/event-stream.ts';
export { RunStream, isRunEnd, type RunOptions } from './core/run-stream.ts';
export { AgentsCore } from './resources/agents-core.ts';
export { Conversations, Messages, Events, type StreamOptions } from './resources/conversations/index.ts';
export type * from './schemas/index.ts';

/**
 * A client with `conversations` and `agents` only (see `MetisClient` for every resource). Options, credentials,
 * retries and errors are `MetisClient`'s.
 */
export class LeanClient extends ApiClient {
  /** `/conversations`: conversations, messages, events, live streams and runs. */
  readonly conversations: Conversations;
  /** `/agents`: agent configurations and their lifecycle (without the embedding resources: see `MetisClient`). */
  readonly agents: AgentsCore;

  constructor(options: ClientOptions) {
    super(options);
    this.conversations = new Conversations(this);
    this.agents = new AgentsCore(this);
  }
}

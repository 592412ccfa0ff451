/**
 * `@metisai/sdk/embed`: the client of a web page embedding an agent for its visitors — visitor sessions opened with a
 * publishable key, and the visitor's conversations (`/embed/…`) — on the same transport, errors, streams and schemas as
 * `MetisClient`, without the owner's resources.
 *
 * ```ts
 * import { VisitorClient, visitorTokenProvider } from '@metisai/sdk/embed';
 * const saved = JSON.parse(localStorage.getItem('metis-visitor') ?? 'null');
 * const client = new VisitorClient({
 *   baseUrl: 'https://metis.example.com',
 *   token: visitorTokenProvider({
 *     baseUrl: 'https://metis.example.com',
 *     publishableKey: 'pk_…',
 *     visitor: saved,
 *     onVisitor: (visitor) => localStorage.setItem('metis-visitor', JSON.stringify(visitor)),
 *   }),
 * });
 * const conversation = await client.embed.conversations.create();
 * for await (const event of client.embed.conversations.run(conversation.id, 'Hello')) console.log(event.type);
 * ```
 */
import { ApiClient, type ClientOptions, type TokenProvider } from './core/api-client.ts';
import type { VisitorCredentials } from './schemas/embed.ts';
import { Embed } from './resources/embed/embed.ts';
import { EmbedSessions } from './resources/embed/sessions.ts';

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
  StreamEndedError,
  type MetisErrorInit,
} from './core/errors.ts';
export { PagePromise } from './core/pagination.ts';
export { EventStream, isKnownEvent, type ConversationStreamEvent, type EventStreamOptions, type UnknownEvent } from './core/event-stream.ts';
export { RunStream, isRunEnd, type RunOptions } from './core/run-stream.ts';
export { Embed } from './resources/embed/embed.ts';
export { EmbedSessions } from './resources/embed/sessions.ts';
export { VisitorConversations } from './resources/embed/visitor-conversations.ts';
export type * from './schemas/index.ts';

/** A client of the `/embed` routes only, for a page's visitors (see the module's example). */
export class VisitorClient extends ApiClient {
  /** `/embed`: visitor sessions and the visitor's conversations. */
  readonly embed: Embed;

  constructor(options: ClientOptions) {
    super(options);
    this.embed = new Embed(this);
  }
}

export interface VisitorTokenProviderOptions {
  /** Root URL of the MetisAI server. */
  baseUrl: string;
  /** The agent's publishable key (`pk_…`). */
  publishableKey: string;
  /** The visitor kept from an earlier session (its `id` and secret `resume_key`), to stay the same visitor. */
  visitor?: VisitorCredentials | null | undefined;
  /** Called with the visitor whenever a session names a new one: keep it (e.g. in `localStorage`) for next time. */
  onVisitor?: ((visitor: VisitorCredentials) => void) | undefined;
  /** Outside browsers, the page's origin must be sent by hand: `{ Origin: 'https://shop.example.com' }`. */
  headers?: Record<string, string> | undefined;
  /** A `fetch` implementation; default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
}

/**
 * A `token` for a client of a page's visitor: each call opens a visitor session (`POST /embed/sessions`, through a
 * client of its own that sends no credentials) as the same visitor, and answers its token. The client calls it before
 * its first request, shortly before the token expires (sessions last at most 15 minutes) and after a 401.
 */
export function visitorTokenProvider(options: VisitorTokenProviderOptions): TokenProvider {
  const sessions = new EmbedSessions(new ApiClient({ baseUrl: options.baseUrl, headers: options.headers, fetch: options.fetch }));
  let visitor = options.visitor ?? undefined;
  return async () => {
    const session = await sessions.create({ publishable_key: options.publishableKey, ...(visitor ? { visitor } : {}) });
    if (session.visitor.id !== visitor?.id || session.visitor.resume_key !== visitor.resume_key) {
      visitor = session.visitor;
      options.onVisitor?.(visitor);
    }
    return session.token;
  };
}

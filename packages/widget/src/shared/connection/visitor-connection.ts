import { visitorTokenProvider, type VisitorCredentials } from '@metisai/sdk/embed';
import { ApiClient, Conversations, type TokenProvider } from '@metisai/sdk/lean';
import { WidgetConfigError, type ChatConnection } from './chat-connection.ts';
import { ConversationsConnection } from './conversations-connection.ts';
import { jwtSubject } from './owner-connection.ts';
import { storage } from '../chat/local-storage.ts';

export interface VisitorConnectionOptions {
  /** The MetisAI server's root URL. */
  server: string;
  /** The agent's publishable key (`pk_…`), for the page's origin. */
  publishableKey: string;
  /** The agent's id (the `agent` attribute): keys the visitor, so that it outlives a rotated publishable key. */
  agentId: string | undefined;
}

/** The `localStorage` key of the visitor kept for a server and agent (or, without `agent`, for the key). */
export const visitorStorageKey = (server: string, agentIdOrKey: string) => `metis-chat:v1:visitor:${server}|${agentIdOrKey}`;

/** The visitor kept under `key` (`{ id, resume_key }`), or `undefined`. */
const readVisitor = (key: string): VisitorCredentials | undefined => {
  try {
    const visitor = JSON.parse(storage()?.getItem(key) ?? 'null') as VisitorCredentials | null;
    return visitor?.id && visitor.resume_key ? visitor : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Visitor mode: an anonymous visitor of the page talks to the agent of a publishable key through the server's
 * embedding routes (`/api/v1/embed/…`, `@metisai/sdk/embed`). A visitor session is minted for the page's origin
 * (`POST /embed/sessions`; the browser sends `Origin`) and minted again, silently, shortly before its token expires
 * and whenever the server answers 401 — a token gone stale (`token_stale`: the key was rotated, its origins changed)
 * included. The visitor (`id` and secret `resume_key`) is kept in `localStorage` per server and agent, so a reload, a
 * new tab or a rotated key is the same visitor with the same conversations. Visitors cannot approve steps: only the
 * agent's owner does.
 */
export class VisitorConnection extends ConversationsConnection implements ChatConnection {
  readonly mode = 'visitor';
  readonly canConfirm = false;
  /** `/embed/conversations`: `VisitorClient`'s `embed.conversations` without the methods the widget never calls. */
  readonly #conversations: Conversations;
  readonly #mint: TokenProvider;
  readonly #server: string;
  /** The token minted to learn who the visitor is, handed to the client's first request. */
  #firstToken: Promise<string> | undefined;

  protected get conversations(): Conversations {
    return this.#conversations;
  }

  constructor(options: VisitorConnectionOptions) {
    super();
    this.#server = options.server;
    const key = visitorStorageKey(options.server, options.agentId ?? options.publishableKey);
    const saved = readVisitor(key);
    this.#mint = visitorTokenProvider({
      baseUrl: options.server,
      publishableKey: options.publishableKey,
      visitor: saved,
      onVisitor: (visitor) => storage()?.setItem(key, JSON.stringify(visitor)),
    });
    const token: TokenProvider = () => {
      const first = this.#firstToken;
      this.#firstToken = undefined;
      return first ?? this.#mint();
    };
    this.#conversations = new Conversations(new ApiClient({ baseUrl: options.server, token, maxRetries: 2 }), '/embed/conversations');
  }

  /**
   * Opens the first visitor session and answers its visitor. The server answers a refusal (an origin the key does not
   * allow, an unknown key, embedding off, too many new visitors) without CORS headers, so the browser reports a network
   * failure: that is a `WidgetConfigError` `visitor_session_failed`. Other errors are thrown as they are.
   */
  async identity(): Promise<string> {
    const first = Promise.resolve(this.#mint());
    this.#firstToken = first;
    first.catch(() => {});
    let token: string;
    try {
      token = await first;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'connection_error') throw error;
      throw new WidgetConfigError(
        'visitor_session_failed',
        `<metis-chat>: no visitor session: ${this.#server} is unreachable, or the key does not allow this page's origin (${location.origin})`,
      );
    }
    return jwtSubject(token) ?? 'visitor';
  }

  /** Visitors cannot read the agent (its name and status are the owner's). */
  async agent() {
    return undefined;
  }

  async listConversations() {
    const page = await this.#conversations.list({ limit: 50 });
    return page.data;
  }

  createConversation() {
    return this.#conversations.create({});
  }

  /** Never called (`canConfirm` is false): only the agent's owner approves a visitor's steps. */
  confirm(): Promise<void> {
    return Promise.reject(new Error('owner only'));
  }
}

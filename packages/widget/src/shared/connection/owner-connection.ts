import { ApiClient, Conversations, type TokenProvider } from '@metisai/sdk/lean';
import { Files } from '@metisai/sdk/files';
import { AgentSchema } from '@metisai/sdk/schemas';
import type { ChatConnection } from './chat-connection.ts';
import { ConversationsConnection, type FileUploader } from './conversations-connection.ts';

export interface OwnerConnectionOptions {
  /** The MetisAI server's root URL. */
  server: string;
  /** A session JWT (from login), or a function answering one. Never an API key. */
  token: string | TokenProvider;
  /** The agent's id; absent: conversations on the user's settings. */
  agentId: string | undefined;
}

/** The `sub` claim of a JWT, read without verifying it (only to key `localStorage`). */
export function jwtSubject(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims: unknown = JSON.parse(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)));
    const sub = (claims as { sub?: unknown } | null)?.sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Owner mode: the signed-in user's own conversations with one of their agents, through `@metisai/sdk/lean`
 * (`/api/v1/conversations/…`). The owner may approve or reject steps. Only the `conversations` resource and the
 * agent's schema are used (not `LeanClient`'s `agents`, whose other methods would weigh on the bundle).
 */
export class OwnerConnection extends ConversationsConnection implements ChatConnection {
  readonly mode = 'owner';
  readonly canConfirm = true;
  readonly #client: ApiClient;
  readonly #conversations: Conversations;
  readonly #files: Files;
  readonly #server: string;
  readonly #token: string | TokenProvider;
  readonly #agentId: string | undefined;

  protected get conversations(): Conversations {
    return this.#conversations;
  }

  protected get files(): FileUploader {
    return this.#files;
  }

  protected get server(): string {
    return this.#server;
  }

  constructor(options: OwnerConnectionOptions) {
    super();
    this.#token = options.token;
    this.#agentId = options.agentId;
    this.#client = new ApiClient({ baseUrl: options.server, token: options.token, maxRetries: 2 });
    this.#conversations = new Conversations(this.#client);
    this.#files = new Files(this.#client);
    this.#server = options.server;
  }

  async identity(): Promise<string> {
    const token = typeof this.#token === 'string' ? this.#token : await this.#token();
    return jwtSubject(token) ?? 'owner';
  }

  async agent() {
    return this.#agentId ? this.#client.get(`/agents/${encodeURIComponent(this.#agentId)}`, AgentSchema) : undefined;
  }

  async listConversations() {
    // The owner's own: their agents' visitors' conversations are the console's to show.
    const page = await this.#conversations.list({ agent_id: this.#agentId, visitors: 'none', limit: 50 });
    return page.data;
  }

  createConversation() {
    return this.#conversations.create({ agent_id: this.#agentId ?? null });
  }

  async confirm(conversationId: string, approve: boolean) {
    await this.#conversations.confirm(conversationId, { approve });
  }
}

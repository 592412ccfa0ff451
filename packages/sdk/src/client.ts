import { ApiClient, type ClientOptions } from './core/api-client.ts';
import type { RequestOptions } from './core/request-options.ts';
import { Agents } from './resources/agents.ts';
import { ApiKeys } from './resources/api-keys.ts';
import { Auth } from './resources/auth.ts';
import { Conversations } from './resources/conversations/conversations.ts';
import { Secrets } from './resources/secrets.ts';
import { ServerInfoResource } from './resources/server-info.ts';
import { Settings } from './resources/settings.ts';
import { Usage } from './resources/usage.ts';
import { Approvals } from './resources/approvals.ts';

export { toTransportError, type ClientOptions, type TokenProvider } from './core/api-client.ts';

/**
 * The MetisAI client. Each REST resource is a field: `client.agents`, `client.conversations`…
 *
 * ```ts
 * const client = new MetisClient({ baseUrl: 'http://localhost:3000', apiKey: process.env.METIS_API_KEY });
 * for await (const agent of client.agents.list()) console.log(agent.name, agent.status);
 * ```
 */
export class MetisClient extends ApiClient {
  /** `/auth`: register, log in and out, profile, password, account. */
  readonly auth: Auth;
  /** `/agents`: agent configurations and their lifecycle. */
  readonly agents: Agents;
  /** `/conversations`: conversations, messages, events, live streams and runs. */
  readonly conversations: Conversations;
  /** `/settings`: the user's defaults for agents. */
  readonly settings: Settings;
  /** `/secrets`: encrypted values exported to sandboxes. */
  readonly secrets: Secrets;
  /** `/api-keys`: long-lived keys for server-to-server use. */
  readonly apiKeys: ApiKeys;
  /** `/usage`: tokens used per day. */
  readonly usage: Usage;
  /** `/approvals`: actions waiting for your approval across conversations. */
  readonly approvals: Approvals;
  /** `/server-info`: what the server offers (limits, sandbox, registration), without credentials. */
  readonly serverInfo: ServerInfoResource;

  constructor(options: ClientOptions) {
    super(options);
    this.auth = new Auth(this);
    this.agents = new Agents(this);
    this.conversations = new Conversations(this);
    this.settings = new Settings(this);
    this.secrets = new Secrets(this);
    this.apiKeys = new ApiKeys(this);
    this.usage = new Usage(this);
    this.approvals = new Approvals(this);
    this.serverInfo = new ServerInfoResource(this);
  }
}

export type { RequestOptions };

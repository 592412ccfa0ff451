import type { ApiClient } from '../core/api-client.ts';
import type { RequestOptions } from '../core/request-options.ts';
import { path } from '../internal/path.ts';
import { EmbedTokenSchema, type EmbedToken, type EmbedTokenCreateParams } from '../schemas/embed.ts';
import { AgentsCore } from './agents-core.ts';
import { PublishableKeys } from './publishable-keys.ts';

/** `/api/v1/agents` (see `AgentsCore`), with what embeds an agent in websites: its publishable keys and minted tokens. */
export class Agents extends AgentsCore {
  /** `…/{id}/publishable-keys`: keys that let web pages embed the agent. */
  readonly publishableKeys: PublishableKeys;

  /** @internal */
  constructor(client: ApiClient) {
    super(client);
    this.publishableKeys = new PublishableKeys(client);
  }

  /**
   * Mints a visitor token for one of your app's users (`POST /agents/{id}/embed-tokens`), from your backend with an API
   * key of scope `embed:mint`: the same `user_ref` is the same visitor; the token is valid from `origin` (one of the
   * agent's publishable keys' origins) for `ttl` seconds (60 – 86 400, default 900). Hand it to the page's widget.
   */
  createEmbedToken(agentId: string, params: EmbedTokenCreateParams, options?: RequestOptions): Promise<EmbedToken> {
    return this.client.request({ ...options, method: 'post', path: path`/agents/${agentId}/embed-tokens`, body: params, schema: EmbedTokenSchema });
  }
}

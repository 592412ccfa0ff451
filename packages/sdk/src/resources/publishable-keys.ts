import { PagePromise } from '../core/pagination.ts';
import type { RequestOptions } from '../core/request-options.ts';
import { path } from '../internal/path.ts';
import { pageOf, type ListParams } from '../schemas/common.ts';
import { PublishableKeySchema, type PublishableKey, type PublishableKeyCreateParams, type PublishableKeyUpdateParams } from '../schemas/embed.ts';
import { APIResource } from './resource.ts';

const PublishableKeyPageSchema = pageOf(PublishableKeySchema);

/**
 * `/api/v1/agents/{id}/publishable-keys`: the keys web pages use to open visitor sessions with an agent (`pk_…`, public:
 * always shown). Changing a key's origins, rotating or revoking it makes the agent's visitor tokens stale at once.
 */
export class PublishableKeys extends APIResource {
  /** The agent's keys, newest first (`GET …/publishable-keys`). */
  list(agentId: string, params: Omit<ListParams, 'after'> & { after?: string } = {}, options?: RequestOptions): PagePromise<PublishableKey> {
    return new PagePromise(
      (after) => this.client.get(path`/agents/${agentId}/publishable-keys`, PublishableKeyPageSchema, { ...options, query: { limit: params.limit, after } }),
      params.after,
    );
  }

  /** Creates a key for pages on `allowed_origins` (exact `https://host[:port]`; plain http for localhost only). */
  create(agentId: string, params: PublishableKeyCreateParams, options?: RequestOptions): Promise<PublishableKey> {
    return this.client.request({ ...options, method: 'post', path: path`/agents/${agentId}/publishable-keys`, body: params, schema: PublishableKeySchema });
  }

  /** One key (`GET …/publishable-keys/{key_id}`). */
  get(agentId: string, keyId: string, options?: RequestOptions): Promise<PublishableKey> {
    return this.client.get(path`/agents/${agentId}/publishable-keys/${keyId}`, PublishableKeySchema, options);
  }

  /** Replaces the key's allowed origins (`PUT …/publishable-keys/{key_id}`). */
  update(agentId: string, keyId: string, params: PublishableKeyUpdateParams, options?: RequestOptions): Promise<PublishableKey> {
    return this.client.request({
      ...options,
      method: 'put',
      path: path`/agents/${agentId}/publishable-keys/${keyId}`,
      body: params,
      schema: PublishableKeySchema,
    });
  }

  /** Gives the key a new value; the old one stops working (`POST …/rotate`). */
  rotate(agentId: string, keyId: string, options?: RequestOptions): Promise<PublishableKey> {
    return this.client.request({ ...options, method: 'post', path: path`/agents/${agentId}/publishable-keys/${keyId}/rotate`, schema: PublishableKeySchema });
  }

  /** Revokes the key (`DELETE …/publishable-keys/{key_id}`). */
  delete(agentId: string, keyId: string, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'delete', path: path`/agents/${agentId}/publishable-keys/${keyId}` });
  }
}

import { PagePromise } from '../core/pagination.ts';
import type { RequestOptions } from '../core/request-options.ts';
import { path } from '../internal/path.ts';
import { pageOf, type ListParams } from '../schemas/common.ts';
import { ApiKeyCreatedSchema, ApiKeySchema, type ApiKey, type ApiKeyCreated, type ApiKeyCreateParams } from '../schemas/settings.ts';
import { APIResource } from './resource.ts';

const ApiKeyPageSchema = pageOf(ApiKeySchema);

/** `/api/v1/api-keys`: long-lived keys for server-to-server calls (`new MetisClient({ apiKey })`). */
export class ApiKeys extends APIResource {
  /** Your API keys, without the keys themselves (`GET /api-keys`). */
  list(params: Omit<ListParams, 'after'> & { after?: string } = {}, options?: RequestOptions): PagePromise<ApiKey> {
    return new PagePromise((after) => this.client.get('/api-keys', ApiKeyPageSchema, { ...options, query: { limit: params.limit, after } }), params.after);
  }

  /** Creates an API key (`POST /api-keys`). The answer's `key` is shown only here: store it. */
  create(params: ApiKeyCreateParams, options?: RequestOptions): Promise<ApiKeyCreated> {
    return this.client.request({ ...options, method: 'post', path: '/api-keys', body: params, schema: ApiKeyCreatedSchema });
  }

  /** Revokes an API key (`DELETE /api-keys/{id}`); it stops working at once. */
  delete(apiKeyId: string, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'delete', path: path`/api-keys/${apiKeyId}` });
  }
}

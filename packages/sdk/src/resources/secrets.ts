import { PagePromise } from '../core/pagination.ts';
import type { RequestOptions } from '../core/request-options.ts';
import { path } from '../internal/path.ts';
import { pageOf, type ListParams } from '../schemas/common.ts';
import { SecretSchema, type Secret, type SecretCreateParams, type SecretUpdateParams } from '../schemas/settings.ts';
import { APIResource } from './resource.ts';

const SecretPageSchema = pageOf(SecretSchema);

/** `/api/v1/secrets`: values encrypted at rest and exported into sandboxes as environment variables. Values are never returned. */
export class Secrets extends APIResource {
  /** Your secrets, names only (`GET /secrets`). `await` for a page, or `for await` over every secret. */
  list(params: Omit<ListParams, 'after'> & { after?: string } = {}, options?: RequestOptions): PagePromise<Secret> {
    return new PagePromise((after) => this.client.get('/secrets', SecretPageSchema, { ...options, query: { limit: params.limit, after } }), params.after);
  }

  /** Stores a secret (`POST /secrets`). A name in use is a `ConflictError` (`secret_exists`). */
  create(params: SecretCreateParams, options?: RequestOptions): Promise<Secret> {
    return this.client.request({ ...options, method: 'post', path: '/secrets', body: params, schema: SecretSchema });
  }

  /**
   * Replaces a secret's value, and its description when given (`PUT /secrets/{id}`); the name stays. Agents get the new
   * value in the sandboxes they start from now on.
   */
  update(secretId: string, params: SecretUpdateParams, options?: RequestOptions): Promise<Secret> {
    return this.client.request({ ...options, method: 'put', path: path`/secrets/${secretId}`, body: params, schema: SecretSchema });
  }

  /** Deletes a secret (`DELETE /secrets/{id}`). */
  delete(secretId: string, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'delete', path: path`/secrets/${secretId}` });
  }
}

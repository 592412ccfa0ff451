import type { RequestOptions } from '../../core/request-options.ts';
import { EmbedSessionSchema, type EmbedSession, type EmbedSessionCreateParams } from '../../schemas/embed.ts';
import { APIResource } from '../resource.ts';

/** `/api/v1/embed/sessions`: visitor sessions opened with a publishable key. */
export class EmbedSessions extends APIResource {
  /**
   * Opens a visitor session (`POST /embed/sessions`), from a page on one of the key's origins (browsers send `Origin`;
   * elsewhere set it in `headers`). Pass the `visitor` kept from the last session to stay the same visitor (without it,
   * or with a pair that does not match, a new one is made). Errors: `PermissionDeniedError` (`origin_required`,
   * `origin_not_allowed`, `embed_disabled`), `AuthenticationError` (`invalid_publishable_key`), `RateLimitError`.
   */
  create(params: EmbedSessionCreateParams, options?: RequestOptions): Promise<EmbedSession> {
    return this.client.request({ ...options, method: 'post', path: '/embed/sessions', body: params, schema: EmbedSessionSchema });
  }
}

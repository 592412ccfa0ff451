import type { RequestOptions } from '../core/request-options.ts';
import { path } from '../internal/path.ts';
import { SessionListSchema, type Session } from '../schemas/auth.ts';
import { APIResource } from './resource.ts';

/** `/api/v1/auth/sessions`: the account's live sessions (logins). Every method needs a session, not an API key. */
export class Sessions extends APIResource {
  /** The live sessions, newest first; `current` marks the one in use (`GET /auth/sessions`). */
  async list(options?: RequestOptions): Promise<Session[]> {
    return (await this.client.get('/auth/sessions', SessionListSchema, options)).data;
  }

  /** Ends one session (`DELETE /auth/sessions/{id}`): its token stops working and its event streams end at once. */
  delete(sessionId: string, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'delete', path: path`/auth/sessions/${sessionId}` });
  }

  /** Ends every session but the one in use (`DELETE /auth/sessions`). */
  deleteOthers(options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'delete', path: '/auth/sessions' });
  }
}

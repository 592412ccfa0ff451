import type { RequestOptions } from '../core/request-options.ts';
import { ServerInfoSchema, type ServerInfo } from '../schemas/workspace.ts';
import { APIResource } from './resource.ts';

/** `/api/v1/server-info`: public, no credentials needed. */
export class ServerInfoResource extends APIResource {
  /** Version, open registration, the server's own LLM, upload and import limits, sandbox driver and allowed images. */
  get(options?: RequestOptions): Promise<ServerInfo> {
    return this.client.get('/server-info', ServerInfoSchema, options);
  }
}

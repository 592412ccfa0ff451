import type { ApiClient } from '../core/api-client.ts';

/** Base of every resource class: holds the client it calls through. */
export abstract class APIResource {
  protected readonly client: ApiClient;

  /** @internal */
  constructor(client: ApiClient) {
    this.client = client;
  }
}

import type { MetisClient } from '../client.ts';

/** Base of every resource class: holds the client it calls through. */
export abstract class APIResource {
  protected readonly client: MetisClient;

  /** @internal */
  constructor(client: MetisClient) {
    this.client = client;
  }
}

import { expect } from 'vitest';
import { eventually, type Http } from '../support/http.ts';
import { SseClient } from '../streaming/sse-client.ts';
import { eventsOf, type Runtime } from '../runtime/runtime-harness.ts';

/** A new conversation of the runtime's user; answers its id. */
export const newConversation = async (http: Http, body: Record<string, unknown> = {}) => {
  const reply = await http.post('/api/v1/conversations', body);
  expect(reply.status).toBe(201);
  return reply.body.id as string;
};

/** Opens the conversation's SSE stream on `serverUrl`; every client opened is closed by `closeAll`. */
export class Streams {
  readonly #open: SseClient[] = [];

  async open(serverUrl: string, conversationId: string, token: string, lastEventId?: string): Promise<SseClient> {
    const client = await SseClient.open(`${serverUrl}/api/v1/conversations/${conversationId}/events`, { token, lastEventId });
    expect(client.response.status).toBe(200);
    this.#open.push(client);
    return client;
  }

  closeAll(): void {
    for (const client of this.#open.splice(0)) client.close();
  }
}

/** The stored event that ends a run (`state` other than running). */
export const isFinalState = (event: Record<string, any>) => event.type === 'state' && event.state !== 'running';

/** Waits until the stored log holds an event matching `match`. */
export const waitForEvent = (http: Http, conversationId: string, match: (event: Record<string, any>) => boolean, timeoutMs = 10_000) =>
  eventually(async () => (await eventsOf(http, conversationId)).find(match), timeoutMs);

/** Creates an agent with `config`, starts it and waits until it runs. */
export async function runningAgent(rt: Pick<Runtime, 'http'>, name: string, config: Record<string, unknown>): Promise<string> {
  const created = await rt.http.post('/api/v1/agents', { name, config });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await rt.http.post(`/api/v1/agents/${id}/start`)).status).toBeLessThan(300);
  await eventually(async () => (await rt.http.get(`/api/v1/agents/${id}`)).body.status === 'running', 20_000);
  return id;
}

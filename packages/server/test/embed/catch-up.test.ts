import { turns } from '@metisai/scripted-llm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer } from '../support/test-server.ts';
import { SseClient } from '../streaming/sse-client.ts';
import { eventsOf, startRuntime, waitForState, type Runtime, type Server } from '../runtime/runtime-harness.ts';
import { isFinalState } from '../e2e/e2e-helpers.ts';
import { embeddableAgent, newVisitor, publishableKey, SITE, startAgent } from './embed-helpers.ts';

/**
 * A client that (re)connects while an answer or a command's output is streaming gets what streamed so far first (one
 * `catch_up` per message or command in flight), then the live pieces: asked of the process that runs the conversation
 * over the control channel. Server A runs the conversations; the reloading clients connect to server B.
 */
let rt: Runtime;
let serverB: Server;
const open: SseClient[] = [];
beforeAll(async () => {
  rt = await startRuntime({ env: { ALLOW_UNSAFE_LOCAL_SANDBOX: 'true' } });
  serverB = await startTestServer({
    databaseUrl: rt.server.databaseUrl,
    env: { SANDBOX_DRIVER: 'local', ALLOW_UNSAFE_LOCAL_SANDBOX: 'true', METIS_DATA_DIR: rt.dataDir },
  });
}, 60_000);
afterAll(async () => {
  for (const client of open) client.close();
  await serverB?.close();
  await rt?.close();
});

const track = (client: SseClient) => {
  open.push(client);
  return client;
};

const parsed = (client: SseClient, event: string) => client.messages.filter((message) => message.event === event).map((message) => JSON.parse(message.data));

/** The answer as a client that reloaded sees it: its catch-up, then the live deltas (placed by their offsets). */
function textAfterReload(client: SseClient, messageId: string): string {
  let text = '';
  for (const message of client.messages) {
    const event = JSON.parse(message.data);
    if (event.type === 'catch_up' && event.message_id === messageId) text = event.content;
    if (event.type === 'delta' && event.message_id === messageId) {
      // Every live piece continues exactly where the text so far ends: no gap, no repeat.
      expect(event.offset).toBe(text.length);
      text += event.content;
    }
  }
  return text;
}

const REPLY = Array.from({ length: 60 }, (_, index) => `word${index}`).join(' ');

describe('catch-up after a reload, across processes', () => {
  test('a visitor reloading mid-answer on the other process gets the text so far, then the rest: it equals the stored message', async () => {
    const agentId = await embeddableAgent(rt.http, { warm_pool_size: 0 }, { policy: { network: 'egress' } });
    await startAgent(rt.http, agentId);
    const visitor = await newVisitor(rt.server.url, (await publishableKey(rt.http, agentId)).key);
    const conversation = (await visitor.client.post('/api/v1/embed/conversations', {})).body.id as string;
    const url = (server: Server) => `${server.url}/api/v1/embed/conversations/${conversation}/events`;
    // The answer streams in small pieces and pauses half-way: the reload lands mid-answer.
    rt.llm.setScript([turns.text(REPLY, { chunkDelayMs: 5, streamPause: { afterChunks: 25, ms: 1500 } })]);
    const before = track(await SseClient.open(url(rt.server), { token: visitor.token, headers: { origin: SITE } }));
    expect((await visitor.client.post(`/api/v1/embed/conversations/${conversation}/messages`, { content: 'talk' })).status).toBe(202);
    await before.until((client) => client.deltas.length >= 10, 10_000);
    before.close();

    const reloaded = track(await SseClient.open(url(serverB), { token: visitor.token, headers: { origin: SITE } }));
    await reloaded.until((client) => client.stored.some(isFinalState), 20_000);
    const catchUps = parsed(reloaded, 'catch_up');
    expect(catchUps).toHaveLength(1);
    expect(catchUps[0].content.length).toBeGreaterThan(0);
    // Sent before any live piece, after the stored events replayed.
    const at = (event: string) => reloaded.messages.findIndex((message) => message.event === event);
    expect(at('catch_up')).toBeLessThan(at('delta'));
    expect(
      reloaded.messages.findIndex(
        (message) => message.id !== undefined && JSON.parse(message.data).type === 'message' && JSON.parse(message.data).role === 'user',
      ),
    ).toBeLessThan(at('catch_up'));
    const stored = reloaded.stored.find((event) => event.type === 'message' && event.role === 'assistant')!;
    expect(catchUps[0].message_id).toBe(stored.id);
    expect(textAfterReload(reloaded, stored.id)).toBe(stored.content);
    expect(stored.content).toBe(REPLY);
  }, 60_000);

  test('resuming with Last-Event-ID mid-answer catches up too; the owner’s streams work alike', async () => {
    rt.llm.setScript([turns.text(REPLY, { chunkDelayMs: 5, streamPause: { afterChunks: 25, ms: 1500 } })]);
    const conversation = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
    const url = (server: Server) => `${server.url}/api/v1/conversations/${conversation}/events`;
    const first = track(await SseClient.open(url(rt.server), { token: rt.user.token }));
    await rt.http.post(`/api/v1/conversations/${conversation}/messages`, { content: 'talk' });
    await first.until((client) => client.deltas.length >= 10, 10_000);
    first.close();
    const resumed = track(await SseClient.open(url(serverB), { token: rt.user.token, lastEventId: first.lastId! }));
    await resumed.until((client) => client.stored.some(isFinalState), 20_000);
    // Only what came after the resume point is replayed.
    expect(resumed.stored[0].seq).toBeGreaterThan(Number(first.lastId));
    const stored = (await eventsOf(rt.http, conversation)).find((event) => event.type === 'message' && event.role === 'assistant')!;
    expect(parsed(resumed, 'catch_up').map((event) => event.message_id)).toEqual([stored.id]);
    expect(textAfterReload(resumed, stored.id)).toBe(stored.content);
  }, 60_000);

  test("a command's output in flight: the reloaded client gets the output so far, then the rest, without gap or repeat", async () => {
    rt.llm.setScript([
      turns.toolCall('execute_bash', { command: 'for i in 1 2 3 4 5 6; do echo line-$i; sleep 0.3; done' }),
      turns.toolCall('finish', { message: 'counted' }),
    ]);
    const conversation = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
    const url = (server: Server) => `${server.url}/api/v1/conversations/${conversation}/events`;
    const watcher = track(await SseClient.open(url(rt.server), { token: rt.user.token }));
    await rt.http.post(`/api/v1/conversations/${conversation}/messages`, { content: 'count' });
    await watcher.until((client) => parsed(client, 'output').some((event) => event.content.includes('line-2')), 10_000);
    const reloaded = track(await SseClient.open(url(serverB), { token: rt.user.token }));
    await reloaded.until((client) => client.stored.some(isFinalState), 20_000);
    await watcher.until((client) => client.stored.some(isFinalState), 20_000);
    const action = reloaded.stored.find((event) => event.type === 'action')!;
    const [catchUp] = parsed(reloaded, 'catch_up');
    expect(catchUp).toMatchObject({ type: 'catch_up', tool_call_id: action.tool_call_id, offset: 0, content: expect.stringContaining('line-2') });
    let seen = catchUp.content as string;
    for (const output of parsed(reloaded, 'output')) {
      expect(output.offset).toBe(seen.length);
      seen += output.content;
    }
    // What the reloaded client assembled is what a client connected from the start received.
    const whole = parsed(watcher, 'output')
      .map((event) => event.content)
      .join('');
    expect(seen).toBe(whole);
    expect(seen).toMatch(/line-1[\s\S]*line-6/);
  }, 60_000);

  test('a stream of a conversation that is not running gets no catch-up and starts at once', async () => {
    rt.llm.setScript([turns.text('done')]);
    const conversation = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
    await rt.http.post(`/api/v1/conversations/${conversation}/messages`, { content: 'hi' });
    await waitForState(rt.http, conversation, ['idle']);
    const started = Date.now();
    const client = track(await SseClient.open(`${serverB.url}/api/v1/conversations/${conversation}/events`, { token: rt.user.token }));
    await client.until((c) => c.stored.some(isFinalState), 5000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(parsed(client, 'catch_up')).toEqual([]);
  }, 30_000);
});

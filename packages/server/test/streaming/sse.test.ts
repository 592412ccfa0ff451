import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeEphemeralNotices, MAX_NOTICE_BYTES } from '../../src/events/notice.ts';
import { appendEvent, publishEphemeral } from '../../src/events/event-log.ts';
import { startApiServer, type ApiServer } from '../http/api-server.ts';
import { eventually, Http, registerUser } from '../support/http.ts';
import { SseClient, type SseOpenOptions } from './sse-client.ts';

let server: ApiServer;
let alice: Http;
let aliceToken: string;
const open: SseClient[] = [];
beforeAll(async () => {
  server = await startApiServer({ withRunner: true, env: { SSE_HEARTBEAT_SECONDS: '0.2', RATE_LIMIT_API_PER_USER: '0' } });
  const registered = await registerUser(new Http(server.url), 'streaming');
  alice = registered.http;
  aliceToken = registered.token;
});
afterAll(async () => {
  for (const client of open) client.close();
  await server.close();
});

const createConversation = async () => (await alice.post('/api/v1/conversations', {})).body.id as string;
/**
 * Appends an event through the server's own log writer (as the agent runtime does). Posting messages would start
 * runs, and a conversation takes one run at a time; the stream is what is tested here.
 */
const send = (id: string, content: string) => appendEvent(server.orm.em.fork(), id, { type: 'message', role: 'assistant', content });
const storedEvents = async (id: string) => (await alice.get(`/api/v1/conversations/${id}/events?limit=1000`)).body.data as any[];
const stream = async (id: string, query = '', options: SseOpenOptions = {}) => {
  const client = await SseClient.open(`${server.url}/api/v1/conversations/${id}/events${query}`, { token: aliceToken, ...options });
  open.push(client);
  return client;
};

describe('GET /conversations/{id}/events as server-sent events', () => {
  test('replays the log, then streams live; id is the seq, event the type, data the event', async () => {
    const id = await createConversation();
    for (const content of ['one', 'two', 'three']) await send(id, content);
    const client = await stream(id);
    expect(client.response.status).toBe(200);
    expect(client.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(client.response.headers.get('cache-control')).toBe('no-cache');
    expect(client.response.headers.get('x-accel-buffering')).toBe('no');
    await client.until((c) => c.stored.length === 3);
    await send(id, 'four');
    await send(id, 'five');
    await client.until((c) => c.stored.length === 5);
    expect(client.messages.map((m) => [m.id, m.event])).toEqual(['1', '2', '3', '4', '5'].map((seq) => [seq, 'message']));
    expect(client.stored).toEqual(await storedEvents(id));
  });

  test('without Accept: text/event-stream it is still a JSON page', async () => {
    const id = await createConversation();
    await send(id, 'hello');
    const reply = await alice.get(`/api/v1/conversations/${id}/events`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/application\/json/);
    expect(reply.body.data.map((e: { seq: number }) => e.seq)).toEqual([1]);
  });

  test('?after= is exclusive, and Last-Event-ID wins over it', async () => {
    const id = await createConversation();
    for (const content of ['a', 'b', 'c', 'd']) await send(id, content);
    const afterTwo = await stream(id, '?after=2');
    await afterTwo.until((c) => c.stored.length === 2);
    expect(afterTwo.messages.map((m) => m.id)).toEqual(['3', '4']);
    const resumed = await stream(id, '?after=1', { lastEventId: '3' });
    await resumed.until((c) => c.stored.length === 1);
    await send(id, 'e');
    await resumed.until((c) => c.stored.length === 2);
    expect(resumed.messages.map((m) => m.id)).toEqual(['4', '5']);
  });

  test('resuming with Last-Event-ID while events are appended equals one full replay: no gap, no duplicate', async () => {
    const id = await createConversation();
    const TOTAL = 80;
    const watcher = await stream(id);
    const writer = (async () => {
      for (let i = 1; i <= TOTAL; i++) await send(id, `message ${i}`);
    })();
    // Three readers that keep dropping and resuming from their last id while the writer runs.
    const reader = async (dropEvery: number) => {
      const seen: any[] = [];
      let lastId: string | undefined;
      while (seen.length === 0 || seen.at(-1).seq < TOTAL) {
        const client = await stream(id, '', lastId === undefined ? {} : { lastEventId: lastId });
        const target = Math.min(TOTAL, (seen.at(-1)?.seq ?? 0) + dropEvery);
        await client.until((c) => (c.stored.at(-1)?.seq ?? 0) >= target, 10_000);
        client.close();
        seen.push(...client.stored);
        lastId = client.lastId ?? lastId;
      }
      return seen;
    };
    const [a, b, c] = await Promise.all([reader(3), reader(7), reader(11), writer]);
    await watcher.until((client) => client.stored.length === TOTAL, 10_000);
    const full = await storedEvents(id);
    expect(full.map((e) => e.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    for (const seen of [a, b, c, watcher.stored]) expect(seen).toEqual(full);
  });

  test('sends a `: ping` comment every SSE_HEARTBEAT_SECONDS', async () => {
    const client = await stream(await createConversation());
    await client.until((c) => c.comments.filter((comment) => comment === 'ping').length >= 2, 3000);
    expect(client.messages).toEqual([]);
  });

  test('deltas stream live without an id and are never stored; long ones arrive split, in order', async () => {
    const id = await createConversation();
    await send(id, 'question');
    const client = await stream(id);
    await client.until((c) => c.stored.length === 1);
    const messageId = '0190a000-0000-7000-8000-00000000abcd';
    await publishEphemeral(server.orm.em.fork(), { type: 'delta', conversation_id: id, message_id: messageId, content: 'Hel' });
    await publishEphemeral(server.orm.em.fork(), { type: 'delta', conversation_id: id, message_id: messageId, content: 'lo' });
    const long = 'é😀\u0001x'.repeat(3000);
    await publishEphemeral(server.orm.em.fork(), { type: 'delta', conversation_id: id, message_id: messageId, content: long });
    await client.until((c) => c.deltas.map((d) => d.content).join('') === `Hello${long}`);
    for (const message of client.messages.filter((m) => m.event === 'delta')) expect(message.id).toBeUndefined();
    expect(client.deltas.length).toBeGreaterThan(3);
    expect(client.deltas[0]).toEqual({ type: 'delta', conversation_id: id, message_id: messageId, content: 'Hel' });
    // Stored events after deltas still carry the next seq; a late joiner replays no delta.
    await send(id, 'next');
    await client.until((c) => c.stored.length === 2);
    expect(client.lastId).toBe('2');
    expect((await storedEvents(id)).map((e) => e.type)).toEqual(['message', 'message']);
    const late = await stream(id);
    await late.until((c) => c.stored.length === 2);
    expect(late.deltas).toEqual([]);
  });

  test('a delta is split so that every NOTIFY payload fits', () => {
    const delta = { type: 'delta' as const, conversation_id: 'c', message_id: 'm', content: '\u0000😀ab'.repeat(5000) };
    const payloads = encodeEphemeralNotices(delta);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_NOTICE_BYTES);
    expect(payloads.map((payload) => JSON.parse(payload).content).join('')).toBe(delta.content);
  });

  test('another user’s conversation is a 404 and no credentials a 401, before any stream starts', async () => {
    const id = await createConversation();
    const bob = await registerUser(new Http(server.url), 'intruder');
    const foreign = await SseClient.open(`${server.url}/api/v1/conversations/${id}/events`, { token: bob.token });
    expect(foreign.response.status).toBe(404);
    expect(foreign.response.headers.get('content-type')).toMatch(/application\/json/);
    await foreign.ended;
    expect(JSON.parse(foreign.text).error.code).toBe('not_found');
    const anonymous = await SseClient.open(`${server.url}/api/v1/conversations/${id}/events`);
    expect(anonymous.response.status).toBe(401);
    // No token in the URL: it is not a query parameter we know.
    const inUrl = await SseClient.open(`${server.url}/api/v1/conversations/${id}/events?access_token=${aliceToken}`);
    expect(inUrl.response.status).toBe(401);
    const badId = await stream(id, '', { lastEventId: 'seven' });
    expect(badId.response.status).toBe(400);
  });

  test('a client going away frees its feed', async () => {
    for (const client of open.splice(0)) client.close();
    await eventually(async () => server.events.liveFeedCount === 0);
    const id = await createConversation();
    const first = await stream(id);
    const second = await stream(id);
    await first.until(() => server.events.subscriberCount === 2);
    expect(server.events.liveFeedCount).toBe(1);
    first.close();
    await eventually(async () => server.events.subscriberCount === 1);
    expect(server.events.liveFeedCount).toBe(1);
    await send(id, 'still here');
    await second.until((c) => c.stored.length === 1);
    second.close();
    await eventually(async () => server.events.liveFeedCount === 0);
  });

  test('server.close() ends open streams promptly', async () => {
    const other = await startApiServer({ withRunner: true, databaseUrl: server.databaseUrl });
    const owner = await registerUser(new Http(other.url), 'closing');
    const id = (await owner.http.post('/api/v1/conversations', {})).body.id;
    const client = await SseClient.open(`${other.url}/api/v1/conversations/${id}/events`, { token: owner.token });
    expect(client.response.status).toBe(200);
    await eventually(async () => other.events.subscriberCount === 1);
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(2000);
    await client.ended;
  });
});

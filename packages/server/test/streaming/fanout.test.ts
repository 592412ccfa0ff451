import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appendEvent, publishEphemeral } from '../../src/events/event-log.ts';
import { startApiServer, type ApiServer } from '../http/api-server.ts';
import { eventually, Http, registerUser } from '../support/http.ts';
import { SseClient } from './sse-client.ts';

/** Two server processes' worth of state (each its own LISTEN connection and pool) on one database. */
let serverA: ApiServer;
let serverB: ApiServer;
let alice: { http: Http; token: string };
const open: SseClient[] = [];
beforeAll(async () => {
  serverA = await startApiServer({ withRunner: true, env: { RATE_LIMIT_API_PER_USER: '0' } });
  serverB = await startApiServer({ withRunner: true, databaseUrl: serverA.databaseUrl, env: { RATE_LIMIT_API_PER_USER: '0' } });
  alice = await registerUser(new Http(serverA.url), 'fanout');
});
afterAll(async () => {
  for (const client of open) client.close();
  await serverB?.close();
  await serverA?.close();
});

const streamFrom = async (server: ApiServer, id: string, lastEventId?: string) => {
  const client = await SseClient.open(`${server.url}/api/v1/conversations/${id}/events`, { token: alice.token, lastEventId });
  expect(client.response.status).toBe(200);
  open.push(client);
  return client;
};
/**
 * Appends an event through server A's own log writer (as the agent runtime does). Posting messages would start
 * runs, and a conversation takes one run at a time; the stream is what is tested here.
 */
const send = (id: string, content: string) => appendEvent(serverA.orm.em.fork(), id, { type: 'message', role: 'assistant', content });

describe('fan-out across processes', () => {
  test('a client on server B sees events and deltas appended through server A', async () => {
    const id = (await alice.http.post('/api/v1/conversations', {})).body.id;
    const onB = await streamFrom(serverB, id);
    const onA = await streamFrom(serverA, id);
    await eventually(async () => serverA.events.subscriberCount === 1 && serverB.events.subscriberCount === 1);
    for (let i = 1; i <= 5; i++) await send(id, `from A ${i}`);
    await publishEphemeral(serverA.orm.em.fork(), {
      type: 'delta',
      conversation_id: id,
      message_id: '0190a000-0000-7000-8000-00000000beef',
      content: 'typing',
    });
    await onB.until((c) => c.stored.length === 5 && c.deltas.length === 1);
    await onA.until((c) => c.stored.length === 5 && c.deltas.length === 1);
    expect(onB.messages.map((m) => m.id ?? m.event)).toEqual(['1', '2', '3', '4', '5', 'delta']);
    expect(onB.stored).toEqual(onA.stored);
  });

  test('the LISTEN connection reconnects after it is killed, and events appended meanwhile still arrive', async () => {
    const id = (await alice.http.post('/api/v1/conversations', {})).body.id;
    const onA = await streamFrom(serverA, id);
    const onB = await streamFrom(serverB, id);
    await send(id, 'before');
    await onB.until((c) => c.stored.length === 1);

    const admin = new pg.Client({ connectionString: serverA.databaseUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        "select pg_terminate_backend(pid) as killed from pg_stat_activity where datname = current_database() and query like 'LISTEN%'",
      );
      expect(rows.length).toBe(2);
    } finally {
      await admin.end();
    }
    // Appended while neither process listens (or before they notice): no NOTIFY reaches them.
    for (const content of ['during 1', 'during 2', 'during 3']) await send(id, content);
    await eventually(async () => serverA.events.isListening && serverB.events.isListening);
    await send(id, 'after');
    for (const client of [onA, onB]) {
      await client.until((c) => c.stored.length === 5);
      expect(client.stored.map((e) => e.content)).toEqual(['before', 'during 1', 'during 2', 'during 3', 'after']);
      expect(client.messages.map((m) => m.id)).toEqual(['1', '2', '3', '4', '5']);
    }
  });

  test('a client resuming on the other server with Last-Event-ID continues without gap or duplicate', async () => {
    const id = (await alice.http.post('/api/v1/conversations', {})).body.id;
    const first = await streamFrom(serverA, id);
    for (let i = 1; i <= 3; i++) await send(id, `m${i}`);
    await first.until((c) => c.stored.length === 3);
    first.close();
    await send(id, 'm4');
    const resumed = await streamFrom(serverB, id, first.lastId);
    await send(id, 'm5');
    await resumed.until((c) => c.stored.length === 2);
    expect([...first.stored, ...resumed.stored].map((e) => e.content)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });
});

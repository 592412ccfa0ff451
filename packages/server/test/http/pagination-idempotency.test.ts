import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, Http, registerUser, uniqueEmail } from '../support/http.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

let server: ApiServer;
let http: Http;
beforeAll(async () => {
  server = await startApiServer({ withRunner: true });
  http = new Http(server.url);
});
afterAll(() => server.close());

type Page = { data: { id: string }[]; has_more: boolean; next_after: string | null };

/** Every item of a list, page by page, with the size of each page. */
async function walk(client: Http, list: string, limit: number) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const reply: { status: number; body: Page } = await client.get(`/api/v1/${list}?limit=${limit}${after ? `&after=${after}` : ''}`);
    expect(reply.status).toBe(200);
    ids.push(...reply.body.data.map((item) => item.id));
    sizes.push(reply.body.data.length);
    if (!reply.body.has_more) {
      expect(reply.body.next_after).toBeNull();
      return { ids, sizes };
    }
    expect(reply.body.next_after).toBe(reply.body.data.at(-1)!.id);
    after = reply.body.next_after;
  }
  throw new Error('too many pages');
}

const creators: Record<string, (client: Http, i: number) => Promise<{ status: number; body: { id: string } }>> = {
  agents: (client, i) => client.post('/api/v1/agents', { name: `agent ${i}` }),
  conversations: (client, i) => client.post('/api/v1/conversations', { title: `conversation ${i}` }),
  secrets: (client, i) => client.post('/api/v1/secrets', { name: `SECRET_${i}`, value: 'v' }),
  'api-keys': (client, i) => client.post('/api/v1/api-keys', { name: `key ${i}`, scopes: ['read'] }),
};

describe.each(Object.keys(creators))('GET /%s pages', (list) => {
  let alice: Http;
  let created: string[];
  beforeAll(async () => {
    alice = (await registerUser(http, `pages-${list}`)).http;
    const bob = (await registerUser(http, `pages-${list}-bob`)).http;
    created = [];
    for (let i = 0; i < 6; i++) {
      const reply = await creators[list]!(alice, i);
      expect(reply.status).toBe(201);
      created.push(reply.body.id);
      // Another user's items in between must not show up or disturb the cursor.
      await creators[list]!(bob, i);
    }
  });

  test.each([1, 3, 4, 6, 100])('walking with limit=%i returns every item once, newest first', async (limit) => {
    const { ids, sizes } = await walk(alice, list, limit);
    expect(ids).toEqual([...created].reverse());
    expect(sizes.slice(0, -1).every((size) => size === limit)).toBe(true);
    expect(sizes.length).toBe(Math.max(1, Math.ceil(6 / limit)));
  });

  test('without limit: one page of everything', async () => {
    const reply = await alice.get(`/api/v1/${list}`);
    expect(reply.body).toEqual({ data: expect.any(Array), has_more: false, next_after: null });
    expect(reply.body.data.map((item: { id: string }) => item.id)).toEqual([...created].reverse());
  });

  test('a cursor whose item was deleted still works', async () => {
    const first = await alice.get(`/api/v1/${list}?limit=2`);
    const cursor = first.body.next_after;
    expect((await alice.delete(`/api/v1/${list}/${cursor}`)).status).toBe(204);
    const rest = await alice.get(`/api/v1/${list}?after=${cursor}`);
    expect(rest.status).toBe(200);
    expect(rest.body.data.map((item: { id: string }) => item.id)).toEqual([...created].reverse().slice(2));
    created = created.filter((id) => id !== cursor);
  });

  test.each(['limit=0', 'limit=101', 'limit=-1', 'limit=abc', 'limit=2.5', 'after=not-a-uuid', 'after=', 'offset=5', 'page=2', 'agent_id=x'])(
    '?%s is a 400',
    async (query) => {
      if (list === 'conversations' && query === 'agent_id=x') return; // a real filter there, tested with conversations
      const reply = await alice.get(`/api/v1/${list}?${query}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('validation_error');
      expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual([query.split('=')[0]]);
    },
  );
});

test('the default page size is 20', async () => {
  const alice = (await registerUser(http, 'default-page')).http;
  for (let i = 0; i < 21; i++) await alice.post('/api/v1/conversations', {});
  const first = await alice.get('/api/v1/conversations');
  expect(first.body.data).toHaveLength(20);
  expect(first.body.has_more).toBe(true);
  const second = await alice.get(`/api/v1/conversations?after=${first.body.next_after}`);
  expect(second.body.data).toHaveLength(1);
  expect(second.body.has_more).toBe(false);
});

describe('Idempotency-Key', () => {
  let alice: Http;
  beforeAll(async () => {
    alice = (await registerUser(http, 'idempotent')).http;
  });
  const key = () => `key-${Math.random().toString(36).slice(2)}`;
  const agentCount = async (client: Http) => (await client.get('/api/v1/agents?limit=100')).body.data.length as number;

  test('a retry with the same key and body gets the same answer, and nothing is done twice', async () => {
    const k = key();
    const before = await agentCount(alice);
    const first = await alice.post('/api/v1/agents', { name: 'once' }, { 'idempotency-key': k });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const second = await alice.post('/api/v1/agents', { name: 'once' }, { 'idempotency-key': k });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await agentCount(alice)).toBe(before + 1);
  });

  test('a message sent twice with one key is stored once', async () => {
    const conversation = (await alice.post('/api/v1/conversations', {})).body;
    const k = key();
    const send = () => alice.post(`/api/v1/conversations/${conversation.id}/messages`, { content: 'only once' }, { 'idempotency-key': k });
    const first = await send();
    const second = await send();
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const messages = async () => (await alice.get(`/api/v1/conversations/${conversation.id}/messages`)).body.data;
    expect((await messages()).map((e: { seq: number }) => e.seq)).toEqual([1]);
    // The run it started ends (no LLM is configured here); a new key is then a new message.
    await eventually(async () => (await alice.get(`/api/v1/conversations/${conversation.id}`)).body.state !== 'running');
    const third = await alice.post(`/api/v1/conversations/${conversation.id}/messages`, { content: 'only once' }, { 'idempotency-key': key() });
    expect(third.status).toBe(202);
    expect((await messages()).map((e: { id: string }) => e.id)).toEqual([first.body.id, third.body.id]);
  });

  test('a replayed start does not start a stopped agent again', async () => {
    const agent = (await alice.post('/api/v1/agents', { name: 'replay' })).body;
    const k = key();
    const start = await alice.post(`/api/v1/agents/${agent.id}/start`, undefined, { 'idempotency-key': k });
    expect(start.status).toBe(202);
    await eventually(async () => (await alice.get(`/api/v1/agents/${agent.id}`)).body.status === 'running');
    await alice.post(`/api/v1/agents/${agent.id}/stop`);
    await eventually(async () => (await alice.get(`/api/v1/agents/${agent.id}`)).body.status === 'stopped');
    const replay = await alice.post(`/api/v1/agents/${agent.id}/start`, undefined, { 'idempotency-key': k });
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual(start.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await alice.get(`/api/v1/agents/${agent.id}`)).body.status).toBe('stopped');
  });

  test('the same key with another body is a 422 idempotency_key_reused, and does nothing', async () => {
    const k = key();
    expect((await alice.post('/api/v1/agents', { name: 'first' }, { 'idempotency-key': k })).status).toBe(201);
    const before = await agentCount(alice);
    const reused = await alice.post('/api/v1/agents', { name: 'second' }, { 'idempotency-key': k });
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(await agentCount(alice)).toBe(before);
  });

  test('keys are per user', async () => {
    const bob = (await registerUser(http, 'idempotent-bob')).http;
    const k = key();
    const mine = await alice.post('/api/v1/agents', { name: 'shared key' }, { 'idempotency-key': k });
    const theirs = await bob.post('/api/v1/agents', { name: 'shared key' }, { 'idempotency-key': k });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect((await bob.get(`/api/v1/agents/${theirs.body.id}`)).status).toBe(200);
    expect((await alice.get(`/api/v1/agents/${theirs.body.id}`)).status).toBe(404);
    // Bob with another body under that key is his own business, not a reuse of Alice's.
    expect((await bob.post('/api/v1/agents', { name: 'other' }, { 'idempotency-key': key() })).status).toBe(201);
  });

  test('keys are per route', async () => {
    const k = key();
    expect((await alice.post('/api/v1/conversations', {}, { 'idempotency-key': k })).status).toBe(201);
    const other = await alice.post('/api/v1/secrets', { name: 'PER_ROUTE', value: 'v' }, { 'idempotency-key': k });
    expect(other.status).toBe(201);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
  });

  test('concurrent requests with one key create one agent', async () => {
    const k = key();
    const before = await agentCount(alice);
    const replies = await Promise.all(Array.from({ length: 5 }, () => alice.post('/api/v1/agents', { name: 'racer' }, { 'idempotency-key': k })));
    for (const reply of replies) {
      expect([201, 409]).toContain(reply.status);
      if (reply.status === 409) {
        expect(reply.body.error.code).toBe('idempotency_key_in_progress');
        expect(reply.headers.get('retry-after')).toBeTruthy();
      }
    }
    const created = replies.filter((reply) => reply.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((reply) => reply.body.id)).size).toBe(1);
    expect(await agentCount(alice)).toBe(before + 1);
  });

  test('registration replays too, without a second account', async () => {
    const body = { email: uniqueEmail('idem-register'), password: 'uncommon-pass-123' };
    const k = key();
    const first = await http.post('/api/v1/auth/register', body, { 'idempotency-key': k });
    const second = await http.post('/api/v1/auth/register', body, { 'idempotency-key': k });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.user).toEqual(first.body.user);
    expect((await http.post('/api/v1/auth/register', body)).status).toBe(409);
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, Http, registerUser } from '../support/http.ts';
import { MISSING_ID, startApiServer, type ApiServer } from './api-server.ts';

let server: ApiServer;
let alice: Http;
let bob: Http;
/** Alice's things, which Bob must not be able to tell from missing ones. */
const owned = { agent: '', conversation: '', secret: '', apiKey: '', apiKeyValue: '' };

beforeAll(async () => {
  server = await startApiServer({ withRunner: true });
  const http = new Http(server.url);
  alice = (await registerUser(http, 'owner')).http;
  bob = (await registerUser(http, 'intruder')).http;
  owned.agent = (await alice.post('/api/v1/agents', { name: 'Mine' })).body.id;
  await alice.post(`/api/v1/agents/${owned.agent}/start`);
  await eventually(async () => (await alice.get(`/api/v1/agents/${owned.agent}`)).body.status === 'running');
  owned.conversation = (await alice.post('/api/v1/conversations', { agent_id: owned.agent, title: 'private' })).body.id;
  expect((await alice.post(`/api/v1/conversations/${owned.conversation}/messages`, { content: 'hello' })).status).toBe(202);
  owned.secret = (await alice.post('/api/v1/secrets', { name: 'MINE', value: 'v' })).body.id;
  const key = (await alice.post('/api/v1/api-keys', { name: 'mine', scopes: ['manage'] })).body;
  owned.apiKey = key.id;
  owned.apiKeyValue = key.key;
  // Bob has things of his own, so his lists are not trivially empty.
  const bobsAgent = (await bob.post('/api/v1/agents', { name: 'Bobs' })).body.id;
  await bob.post('/api/v1/conversations', { agent_id: bobsAgent });
  await bob.post('/api/v1/secrets', { name: 'BOBS', value: 'v' });
  await bob.post('/api/v1/api-keys', { name: 'bobs', scopes: ['read'] });
});
afterAll(() => server.close());

type Call = [method: 'get' | 'put' | 'post' | 'delete', path: (id: string) => string, body?: object];
const routes: [string, keyof typeof owned, Call][] = [
  ['GET agent', 'agent', ['get', (id) => `/agents/${id}`]],
  ['PUT agent', 'agent', ['put', (id) => `/agents/${id}`, { name: 'stolen' }]],
  ['start agent', 'agent', ['post', (id) => `/agents/${id}/start`]],
  ['stop agent', 'agent', ['post', (id) => `/agents/${id}/stop`]],
  ['DELETE agent', 'agent', ['delete', (id) => `/agents/${id}`]],
  ['GET conversation', 'conversation', ['get', (id) => `/conversations/${id}`]],
  ['PUT conversation', 'conversation', ['put', (id) => `/conversations/${id}`, { title: 'stolen' }]],
  ['GET messages', 'conversation', ['get', (id) => `/conversations/${id}/messages`]],
  ['POST message', 'conversation', ['post', (id) => `/conversations/${id}/messages`, { content: 'hi from bob' }]],
  ['GET events', 'conversation', ['get', (id) => `/conversations/${id}/events`]],
  ['DELETE conversation', 'conversation', ['delete', (id) => `/conversations/${id}`]],
  ['DELETE secret', 'secret', ['delete', (id) => `/secrets/${id}`]],
  ['DELETE API key', 'apiKey', ['delete', (id) => `/api-keys/${id}`]],
];

const call = (client: Http, [method, path, body]: Call, id: string) => {
  const url = `/api/v1${path(id)}`;
  return method === 'get' || method === 'delete' ? client[method](url) : client[method](url, body ?? {});
};

describe("another user's id answers exactly like a missing one", () => {
  test.each(routes)('%s', async (_name, kind, route) => {
    const theirs = await call(bob, route, owned[kind]);
    const missing = await call(bob, route, MISSING_ID);
    expect(missing.status).toBe(404);
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('not_found');
    const { request_id: _a, ...theirError } = theirs.body.error;
    const { request_id: _b, ...missingError } = missing.body.error;
    expect(theirError).toEqual(missingError);
  });

  test("nothing of Alice's changed", async () => {
    const agent = await alice.get(`/api/v1/agents/${owned.agent}`);
    expect(agent.body).toMatchObject({ name: 'Mine', status: 'running' });
    const conversation = await alice.get(`/api/v1/conversations/${owned.conversation}`);
    expect(conversation.body.title).toBe('private');
    const messages = await alice.get(`/api/v1/conversations/${owned.conversation}/messages`);
    expect(messages.body.data.map((event: { content: string }) => event.content)).toEqual(['hello']);
    expect((await alice.get('/api/v1/secrets')).body.data.map((s: { id: string }) => s.id)).toEqual([owned.secret]);
    expect((await alice.get('/api/v1/api-keys')).body.data.map((k: { id: string }) => k.id)).toEqual([owned.apiKey]);
    expect((await new Http(server.url, owned.apiKeyValue).get('/api/v1/auth/profile')).status).toBe(200);
  });
});

describe('lists and references', () => {
  test('a conversation with another user’s agent is a 404 like a missing agent', async () => {
    const theirs = await bob.post('/api/v1/conversations', { agent_id: owned.agent });
    const missing = await bob.post('/api/v1/conversations', { agent_id: MISSING_ID });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe(missing.body.error.code);
    expect(theirs.body.error.message).toBe(missing.body.error.message);
  });

  test.each(['agents', 'conversations', 'secrets', 'api-keys'])('%s lists only the caller’s items', async (list) => {
    const bobs = await bob.get(`/api/v1/${list}?limit=100`);
    const alices = await alice.get(`/api/v1/${list}?limit=100`);
    expect(bobs.status).toBe(200);
    expect(bobs.body.data).toHaveLength(1);
    expect(alices.body.data).toHaveLength(1);
    expect(bobs.body.data[0].id).not.toBe(alices.body.data[0].id);
    for (const id of Object.values(owned)) expect(bobs.text).not.toContain(id);
  });

  test("?agent_id= of another user's agent lists nothing", async () => {
    const reply = await bob.get(`/api/v1/conversations?agent_id=${owned.agent}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ data: [], has_more: false, next_after: null });
  });
});

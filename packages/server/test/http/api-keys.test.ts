import { afterAll, beforeAll, expect, test } from 'vitest';
import { Http, registerUser } from '../support/http.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

let server: ApiServer;
let http: Http;
let alice: Awaited<ReturnType<typeof registerUser>>;
beforeAll(async () => {
  server = await startApiServer();
  http = new Http(server.url);
  alice = await registerUser(http, 'api-keys');
});
afterAll(() => server.close());

test('create answers 201 with the key, once; the list never shows it', async () => {
  const reply = await alice.http.post('/api/v1/api-keys', { name: 'ci', expires_in_days: 30 });
  expect(reply.status).toBe(201);
  expect(reply.body).toEqual({
    id: expect.any(String),
    name: 'ci',
    prefix: expect.any(String),
    key: expect.stringMatching(/^metis_[A-Za-z0-9_-]{40,}$/),
    created_at: expect.any(String),
    last_used_at: null,
    expires_at: expect.any(String),
  });
  expect(reply.body.key.startsWith(reply.body.prefix)).toBe(true);
  const days = (Date.parse(reply.body.expires_at) - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(29.9);
  expect(days).toBeLessThan(30.1);

  const list = await alice.http.get('/api/v1/api-keys');
  expect(list.status).toBe(200);
  const listed = list.body.data.find((key: { id: string }) => key.id === reply.body.id);
  const { key, ...withoutKey } = reply.body;
  expect(listed).toEqual(withoutKey);
  expect(list.text).not.toContain(key);
});

test('without expires_in_days the key does not expire', async () => {
  const reply = await alice.http.post('/api/v1/api-keys', { name: 'forever' });
  expect(reply.status).toBe(201);
  expect(reply.body.expires_at).toBeNull();
});

test('the key authenticates as its user, and marks itself used', async () => {
  const created = (await alice.http.post('/api/v1/api-keys', { name: 'server' })).body;
  const byKey = http.as(created.key);
  const profile = await byKey.get('/api/v1/auth/profile');
  expect(profile.status).toBe(200);
  expect(profile.body.id).toBe(alice.user.id);
  // It acts as the user: what it creates the user sees.
  const agent = (await byKey.post('/api/v1/agents', { name: 'via key' })).body;
  expect((await alice.http.get(`/api/v1/agents/${agent.id}`)).status).toBe(200);
  const listed = (await alice.http.get('/api/v1/api-keys')).body.data.find((key: { id: string }) => key.id === created.id);
  expect(listed.last_used_at).not.toBeNull();
});

test('DELETE answers 204 and the key then gets 401', async () => {
  const created = (await alice.http.post('/api/v1/api-keys', { name: 'short-lived' })).body;
  const other = (await alice.http.post('/api/v1/api-keys', { name: 'stays' })).body;
  expect((await http.as(created.key).get('/api/v1/agents')).status).toBe(200);
  expect((await alice.http.delete(`/api/v1/api-keys/${created.id}`)).status).toBe(204);
  const after = await http.as(created.key).get('/api/v1/agents');
  expect(after.status).toBe(401);
  expect(after.body.error.code).toBe('unauthorized');
  expect((await http.as(other.key).get('/api/v1/agents')).status).toBe(200);
  expect((await alice.http.get('/api/v1/api-keys')).body.data.map((key: { id: string }) => key.id)).not.toContain(created.id);
  expect((await alice.http.delete(`/api/v1/api-keys/${created.id}`)).status).toBe(404);
});

test('a key may revoke itself', async () => {
  const created = (await alice.http.post('/api/v1/api-keys', { name: 'self' })).body;
  expect((await http.as(created.key).delete(`/api/v1/api-keys/${created.id}`)).status).toBe(204);
  expect((await http.as(created.key).get('/api/v1/agents')).status).toBe(401);
});

test('logout with an API key is a 400 not_a_session and the key keeps working', async () => {
  const created = (await alice.http.post('/api/v1/api-keys', { name: 'no-logout' })).body;
  const reply = await http.as(created.key).post('/api/v1/auth/logout');
  expect(reply.status).toBe(400);
  expect(reply.body.error.code).toBe('not_a_session');
  expect((await http.as(created.key).get('/api/v1/auth/profile')).status).toBe(200);
});

test('keys survive logout and password changes of the session', async () => {
  const bob = await registerUser(http, 'keys-bob');
  const created = (await bob.http.post('/api/v1/api-keys', { name: 'kept' })).body;
  expect((await bob.http.put('/api/v1/auth/password', { current_password: bob.password, new_password: 'another-password' })).status).toBe(204);
  expect((await bob.http.post('/api/v1/auth/logout')).status).toBe(204);
  expect((await http.as(created.key).get('/api/v1/auth/profile')).body.id).toBe(bob.user.id);
});

test.each([
  [{}, 'name'],
  [{ name: '   ' }, 'name'],
  [{ name: 'k', expires_in_days: 0 }, 'expires_in_days'],
  [{ name: 'k', expires_in_days: 1.5 }, 'expires_in_days'],
  [{ name: 'k', expires_in_days: 3651 }, 'expires_in_days'],
  [{ name: 'k', key: 'metis_chosen' }, 'key'],
])('%j is a 400 naming %s', async (body, path) => {
  const reply = await alice.http.post('/api/v1/api-keys', body);
  expect(reply.status).toBe(400);
  expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
});

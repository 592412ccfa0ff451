import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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

const mint = async (owner: { http: Http }, body: Record<string, unknown>) => {
  const reply = await owner.http.post('/api/v1/api-keys', body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as { id: string; key: string; scopes: string[]; agent_ids: string[] | null; expires_at: string | null };
};

test('create answers 201 with the key, its scopes and restriction, once; the list never shows the key', async () => {
  const reply = await alice.http.post('/api/v1/api-keys', { name: 'ci', scopes: ['read', 'run'], expires_in_days: 30 });
  expect(reply.status).toBe(201);
  expect(reply.body).toEqual({
    id: expect.any(String),
    name: 'ci',
    scopes: ['read', 'run'],
    agent_ids: null,
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
  expect((await mint(alice, { name: 'forever', scopes: ['read'] })).expires_at).toBeNull();
});

test('the key authenticates as its user, and marks itself used', async () => {
  const created = await mint(alice, { name: 'server', scopes: ['manage'] });
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
  const created = await mint(alice, { name: 'short-lived', scopes: ['read'] });
  const other = await mint(alice, { name: 'stays', scopes: ['read'] });
  expect((await http.as(created.key).get('/api/v1/agents')).status).toBe(200);
  expect((await alice.http.delete(`/api/v1/api-keys/${created.id}`)).status).toBe(204);
  const after = await http.as(created.key).get('/api/v1/agents');
  expect(after.status).toBe(401);
  expect(after.body.error.code).toBe('unauthorized');
  expect((await http.as(other.key).get('/api/v1/agents')).status).toBe(200);
  expect((await alice.http.get('/api/v1/api-keys')).body.data.map((key: { id: string }) => key.id)).not.toContain(created.id);
  expect((await alice.http.delete(`/api/v1/api-keys/${created.id}`)).status).toBe(404);
});

describe('scopes', () => {
  const refused = (reply: { status: number; body: any }, required: string | null) => {
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('insufficient_scope');
    if (required) expect(reply.body.error.required_scope).toBe(required);
  };

  test('are required at creation, and must be known', async () => {
    for (const body of [{ name: 'none' }, { name: 'empty', scopes: [] }, { name: 'admin', scopes: ['admin'] }]) {
      const reply = await alice.http.post('/api/v1/api-keys', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.details.map((d: { path: string }) => d.path)[0]).toMatch(/^scopes/);
    }
  });

  test('read: GET routes and LLM tests; nothing that writes', async () => {
    const reader = http.as((await mint(alice, { name: 'reader', scopes: ['read'] })).key);
    expect((await reader.get('/api/v1/agents')).status).toBe(200);
    expect((await reader.get('/api/v1/conversations')).status).toBe(200);
    expect((await reader.get('/api/v1/settings')).status).toBe(200);
    // An LLM test is allowed: it fails for want of a model, not of a scope.
    expect((await reader.post('/api/v1/settings/llm-test', {})).status).toBe(400);
    refused(await reader.post('/api/v1/conversations', {}), 'run');
    refused(await reader.post('/api/v1/agents', { name: 'nope' }), 'manage');
    refused(await reader.put('/api/v1/settings', { confirmation_mode: true }), 'manage');
    expect((await alice.http.get('/api/v1/settings')).body.confirmation_mode).toBe(false);
  });

  test('run: conversations and messages, not agents, settings or secrets', async () => {
    const runner = http.as((await mint(alice, { name: 'runner', scopes: ['run'] })).key);
    const conversation = await runner.post('/api/v1/conversations', { title: 'by key' });
    expect(conversation.status).toBe(201);
    expect((await runner.put(`/api/v1/conversations/${conversation.body.id}`, { title: 'renamed' })).status).toBe(200);
    refused(await runner.post('/api/v1/agents', { name: 'nope' }), 'manage');
    refused(await runner.post('/api/v1/secrets', { name: 'NOPE', value: 'x' }), 'manage');
    expect((await runner.delete(`/api/v1/conversations/${conversation.body.id}`)).status).toBe(204);
  });

  test('embed:mint reaches nothing else', async () => {
    const minter = http.as((await mint(alice, { name: 'minter', scopes: ['embed:mint'] })).key);
    refused(await minter.get('/api/v1/agents'), 'read');
    refused(await minter.get('/api/v1/auth/profile'), 'read');
  });

  test('keys, sessions, the password and the account need a session, even for a manage key', async () => {
    const manager = http.as((await mint(alice, { name: 'manager', scopes: ['manage', 'run', 'read'] })).key);
    refused(await manager.post('/api/v1/api-keys', { name: 'minted by a key', scopes: ['manage'] }), 'session');
    refused(await manager.get('/api/v1/api-keys'), 'session');
    refused(await manager.get('/api/v1/auth/sessions'), 'session');
    refused(await manager.delete('/api/v1/auth/sessions'), 'session');
    refused(await manager.post('/api/v1/auth/logout'), 'session');
    refused(await manager.put('/api/v1/auth/password', { current_password: alice.password, new_password: 'a brand new password' }), 'session');
    refused(await manager.request('DELETE', '/api/v1/auth/profile', { password: alice.password }), 'session');
    // Still there, and the key still works.
    expect((await manager.get('/api/v1/auth/profile')).body.id).toBe(alice.user.id);
  });

  test('agent_ids restricts a key to those agents and their conversations', async () => {
    const mine = (await alice.http.post('/api/v1/agents', { name: 'allowed' })).body;
    const other = (await alice.http.post('/api/v1/agents', { name: 'not allowed' })).body;
    const otherConversation = (await alice.http.post('/api/v1/conversations', { agent_id: other.id })).body;
    const plain = (await alice.http.post('/api/v1/conversations', {})).body;
    const created = await mint(alice, { name: 'one agent', scopes: ['manage'], agent_ids: [mine.id] });
    expect(created.agent_ids).toEqual([mine.id]);
    const restricted = http.as(created.key);

    expect((await restricted.get('/api/v1/agents')).body.data.map((agent: { id: string }) => agent.id)).toEqual([mine.id]);
    expect((await restricted.get(`/api/v1/agents/${mine.id}`)).status).toBe(200);
    expect((await restricted.get(`/api/v1/agents/${other.id}`)).status).toBe(404);
    expect((await restricted.put(`/api/v1/agents/${other.id}`, { name: 'taken over' })).status).toBe(404);
    const conversation = await restricted.post('/api/v1/conversations', { agent_id: mine.id });
    expect(conversation.status).toBe(201);
    expect((await restricted.get(`/api/v1/conversations/${conversation.body.id}`)).body).toEqual(conversation.body);
    expect((await restricted.put(`/api/v1/conversations/${conversation.body.id}`, { title: 'renamed' })).body.title).toBe('renamed');
    expect((await restricted.post('/api/v1/conversations', { agent_id: other.id })).status).toBe(404);
    refused(await restricted.post('/api/v1/conversations', {}), null);
    expect((await restricted.get('/api/v1/conversations')).body.data.map((c: { id: string }) => c.id)).toEqual([conversation.body.id]);
    expect((await restricted.get(`/api/v1/conversations?agent_id=${other.id}`)).body.data).toEqual([]);
    for (const id of [otherConversation.id, plain.id]) {
      expect((await restricted.get(`/api/v1/conversations/${id}`)).status).toBe(404);
      expect((await restricted.get(`/api/v1/conversations/${id}/events`)).status).toBe(404);
      expect((await restricted.delete(`/api/v1/conversations/${id}`)).status).toBe(404);
    }
    // User-wide resources and creating agents are out of its reach.
    refused(await restricted.get('/api/v1/settings'), null);
    refused(await restricted.get('/api/v1/secrets'), null);
    refused(await restricted.post('/api/v1/agents', { name: 'another' }), null);
    expect((await alice.http.get(`/api/v1/agents/${other.id}`)).body.name).toBe('not allowed');
  });

  test("agent_ids must name the user's own agents", async () => {
    const bob = await registerUser(http, 'keys-bob-agents');
    const bobs = (await bob.http.post('/api/v1/agents', { name: 'bobs' })).body;
    const reply = await alice.http.post('/api/v1/api-keys', { name: 'steal', scopes: ['read'], agent_ids: [bobs.id] });
    expect(reply.status).toBe(404);
  });
});

test('a password change deletes every API key of the user; logout leaves them', async () => {
  const bob = await registerUser(http, 'keys-bob');
  const kept = await mint(bob, { name: 'survives logout', scopes: ['read'] });
  const other = (await http.post('/api/v1/auth/login', { email: bob.email, password: bob.password })).body.access_token;
  expect((await http.as(other).post('/api/v1/auth/logout')).status).toBe(204);
  expect((await http.as(kept.key).get('/api/v1/auth/profile')).status).toBe(200);
  expect((await bob.http.put('/api/v1/auth/password', { current_password: bob.password, new_password: 'another long password' })).status).toBe(204);
  expect((await http.as(kept.key).get('/api/v1/auth/profile')).status).toBe(401);
  expect((await bob.http.get('/api/v1/api-keys')).body.data).toEqual([]);
});

test.each([
  [{ scopes: ['read'] }, 'name'],
  [{ name: '   ', scopes: ['read'] }, 'name'],
  [{ name: 'k', scopes: ['read'], expires_in_days: 0 }, 'expires_in_days'],
  [{ name: 'k', scopes: ['read'], expires_in_days: 1.5 }, 'expires_in_days'],
  [{ name: 'k', scopes: ['read'], expires_in_days: 3651 }, 'expires_in_days'],
  [{ name: 'k', scopes: ['read'], key: 'metis_chosen' }, 'key'],
  [{ name: 'k', scopes: ['read'], agent_ids: ['not-a-uuid'] }, 'agent_ids.0'],
])('%j is a 400 naming %s', async (body, path) => {
  const reply = await alice.http.post('/api/v1/api-keys', body);
  expect(reply.status).toBe(400);
  expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
});

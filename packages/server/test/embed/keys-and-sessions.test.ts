import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deriveKeys } from '../../src/security/keys.ts';
import { Http, registerUser } from '../support/http.ts';
import { TEST_SECRET_KEY } from '../support/test-server.ts';
import { SseClient } from '../streaming/sse-client.ts';
import { startApiServer, type ApiServer } from '../http/api-server.ts';
import { embeddableAgent, newVisitor, OTHER_SITE, openSession, publishableKey, SITE, VisitorClient } from './embed-helpers.ts';

/**
 * Publishable keys, visitor sessions and tokens, and what a visitor token reaches, over HTTP (the app without a
 * runner: nothing here runs an agent).
 */
let server: ApiServer;
let owner: Awaited<ReturnType<typeof registerUser>>;
beforeAll(async () => {
  server = await startApiServer({
    env: {
      ALLOW_UNSAFE_LOCAL_SANDBOX: 'true',
      CORS_ORIGINS: 'https://dashboard.example.com',
      RATE_LIMIT_EMBED_VISITORS_PER_IP: '1000',
      QUOTA_STREAMS_PER_VISITOR: '2',
      QUOTA_STREAMS_PER_USER: '1',
    },
  });
  owner = await registerUser(new Http(server.url), 'embed-owner');
});
afterAll(() => server?.close());

describe('publishable keys', () => {
  test('create, list, get, change origins, rotate and revoke; the key is always shown to its owner', async () => {
    const agentId = await embeddableAgent(owner.http);
    const created = await owner.http.post(`/api/v1/agents/${agentId}/publishable-keys`, { allowed_origins: [SITE, 'http://localhost:5173'] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      agent_id: agentId,
      key: expect.stringMatching(/^pk_[A-Za-z0-9_-]{32}$/),
      allowed_origins: [SITE, 'http://localhost:5173'],
      created_at: expect.any(String),
      rotated_at: null,
    });
    const base = `/api/v1/agents/${agentId}/publishable-keys`;
    expect((await owner.http.get(base)).body.data).toEqual([created.body]);
    expect((await owner.http.get(`${base}/${created.body.id}`)).body).toEqual(created.body);

    const changed = await owner.http.put(`${base}/${created.body.id}`, { allowed_origins: ['https://other.example.com:8443'] });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ key: created.body.key, allowed_origins: ['https://other.example.com:8443'] });

    const rotated = await owner.http.post(`${base}/${created.body.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.key).not.toBe(created.body.key);
    expect(rotated.body.rotated_at).toEqual(expect.any(String));

    expect((await owner.http.delete(`${base}/${created.body.id}`)).status).toBe(204);
    expect((await owner.http.get(`${base}/${created.body.id}`)).status).toBe(404);
    expect((await owner.http.delete(`${base}/${created.body.id}`)).status).toBe(404);
  });

  test.each([
    ['https://shop.example.com/', 'a trailing slash'],
    ['https://shop.example.com/page', 'a path'],
    ['HTTPS://Shop.Example.com', 'not as browsers write it'],
    ['https://shop.example.com:443', 'the default port'],
    ['http://shop.example.com', 'plain http outside loopback'],
    ['ftp://shop.example.com', 'another scheme'],
    ['*', 'a wildcard'],
    ['https://*.example.com', 'a wildcard subdomain'],
    ['null', 'the opaque origin'],
  ])('an origin with %s is refused (%s)', async (origin) => {
    const agentId = await embeddableAgent(owner.http);
    const reply = await owner.http.post(`/api/v1/agents/${agentId}/publishable-keys`, { allowed_origins: [origin] });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((detail: { path: string }) => detail.path)).toEqual(['allowed_origins.0']);
  });

  test('plain http is allowed for localhost and loopback addresses', async () => {
    const agentId = await embeddableAgent(owner.http);
    const origins = ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:8080'];
    expect((await owner.http.post(`/api/v1/agents/${agentId}/publishable-keys`, { allowed_origins: origins })).status).toBe(201);
  });

  test("another user's agent and keys are 404; a read key lists, only a manage key creates", async () => {
    const agentId = await embeddableAgent(owner.http);
    const key = await publishableKey(owner.http, agentId);
    const mallory = await registerUser(new Http(server.url), 'embed-mallory');
    expect((await mallory.http.get(`/api/v1/agents/${agentId}/publishable-keys`)).status).toBe(404);
    expect((await mallory.http.post(`/api/v1/agents/${agentId}/publishable-keys`, { allowed_origins: [SITE] })).status).toBe(404);
    expect((await mallory.http.post(`/api/v1/agents/${agentId}/publishable-keys/${key.id}/rotate`)).status).toBe(404);
    expect((await mallory.http.delete(`/api/v1/agents/${agentId}/publishable-keys/${key.id}`)).status).toBe(404);

    const readKey = (await owner.http.post('/api/v1/api-keys', { name: 'r', scopes: ['read'] })).body.key;
    const asReader = owner.http.as(readKey);
    expect((await asReader.get(`/api/v1/agents/${agentId}/publishable-keys`)).status).toBe(200);
    const refused = await asReader.post(`/api/v1/agents/${agentId}/publishable-keys`, { allowed_origins: [SITE] });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'manage' });
  });
});

describe('visitor sessions', () => {
  test('a page on an allowed origin gets a short token and a visitor with a secret resume key', async () => {
    const agentId = await embeddableAgent(owner.http);
    const { key } = await publishableKey(owner.http, agentId);
    const reply = await openSession(server.url, { publishable_key: key });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      token: expect.any(String),
      expires_at: expect.any(String),
      visitor: { id: expect.any(String), resume_key: expect.stringMatching(/^rk_/) },
    });
    const lifetime = Date.parse(reply.body.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThanOrEqual(15 * 60 * 1000);
    const claims = jwt.decode(reply.body.token) as Record<string, unknown>;
    expect(claims).toMatchObject({ aud: 'metisai:embed', sub: reply.body.visitor.id, agt: agentId, org: SITE, gen: expect.any(Number) });
    // CORS: the page may read the answer, and caches are told it varies by origin.
    expect(reply.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(reply.headers.get('vary')).toMatch(/Origin/i);
  });

  test('a returning visitor presenting its id and resume key is the same visitor; its id alone is not enough', async () => {
    const agentId = await embeddableAgent(owner.http);
    const { key } = await publishableKey(owner.http, agentId);
    const first = await newVisitor(server.url, key);
    const again = await openSession(server.url, { publishable_key: key, visitor: first.visitor });
    expect(again.status).toBe(201);
    expect(again.body.visitor).toEqual(first.visitor);
    const guessed = await openSession(server.url, { publishable_key: key, visitor: { id: first.visitor.id, resume_key: 'rk_guessed' } });
    expect(guessed.status).toBe(201);
    expect(guessed.body.visitor.id).not.toBe(first.visitor.id);
  });

  test('no Origin is 403 origin_required', async () => {
    const agentId = await embeddableAgent(owner.http);
    const { key } = await publishableKey(owner.http, agentId);
    const reply = await openSession(server.url, { publishable_key: key }, null);
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('origin_required');
  });

  test.each([
    [OTHER_SITE, 'another site'],
    ['http://shop.example.com', 'the same host over http'],
    ['https://shop.example.com:8443', 'another port'],
    ['https://sub.shop.example.com', 'a subdomain'],
  ])('an Origin of %s (%s) is 403 origin_not_allowed, and the page cannot read the answer', async (origin) => {
    const agentId = await embeddableAgent(owner.http);
    const { key } = await publishableKey(owner.http, agentId);
    const reply = await openSession(server.url, { publishable_key: key }, origin);
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('origin_not_allowed');
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('an unknown, rotated or revoked key is 401 invalid_publishable_key', async () => {
    const agentId = await embeddableAgent(owner.http);
    const key = await publishableKey(owner.http, agentId);
    expect((await openSession(server.url, { publishable_key: 'pk_unknown' })).body.error.code).toBe('invalid_publishable_key');
    await owner.http.post(`/api/v1/agents/${agentId}/publishable-keys/${key.id}/rotate`);
    const rotated = await openSession(server.url, { publishable_key: key.key });
    expect(rotated.status).toBe(401);
    expect(rotated.body.error.code).toBe('invalid_publishable_key');
    const fresh = (await owner.http.get(`/api/v1/agents/${agentId}/publishable-keys/${key.id}`)).body.key;
    expect((await openSession(server.url, { publishable_key: fresh })).status).toBe(201);
    await owner.http.delete(`/api/v1/agents/${agentId}/publishable-keys/${key.id}`);
    expect((await openSession(server.url, { publishable_key: fresh })).status).toBe(401);
  });

  test('an agent with embedding off is 403 embed_disabled; so is a deleted agent’s key 401', async () => {
    const created = await owner.http.post('/api/v1/agents', { name: 'Private' });
    const { key } = await publishableKey(owner.http, created.body.id);
    const reply = await openSession(server.url, { publishable_key: key });
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('embed_disabled');
    await owner.http.delete(`/api/v1/agents/${created.body.id}`);
    expect((await openSession(server.url, { publishable_key: key })).body.error.code).toBe('invalid_publishable_key');
  });

  test('new visitors are rate-limited per client IP in Postgres; returning ones are not', async () => {
    // A database of its own: the bucket of 127.0.0.1 is shared by every server on one database.
    const limited = await startApiServer({ env: { ALLOW_UNSAFE_LOCAL_SANDBOX: 'true', RATE_LIMIT_EMBED_VISITORS_PER_IP: '2' } });
    try {
      const someone = await registerUser(new Http(limited.url), 'embed-limited');
      const agentId = await embeddableAgent(someone.http);
      const { key } = await publishableKey(someone.http, agentId);
      const first = await openSession(limited.url, { publishable_key: key });
      expect((await openSession(limited.url, { publishable_key: key })).status).toBe(201);
      const refused = await openSession(limited.url, { publishable_key: key });
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await openSession(limited.url, { publishable_key: key, visitor: first.body.visitor })).status).toBe(201);
    } finally {
      await limited.close();
    }
  });

  test('on the local sandbox driver, embedding is refused unless ALLOW_UNSAFE_LOCAL_SANDBOX=true', async () => {
    const local = await startApiServer({ databaseUrl: server.databaseUrl });
    try {
      const agentId = await embeddableAgent(owner.http);
      const { key } = await publishableKey(owner.http, agentId);
      const reply = await openSession(local.url, { publishable_key: key });
      expect(reply.status).toBe(403);
      expect(reply.body.error).toMatchObject({ code: 'embed_disabled', message: expect.stringContaining('local driver') });
    } finally {
      await local.close();
    }
  });
});

describe('what a visitor token reaches', () => {
  test('its own conversations with its agent: list, create, get, delete', async () => {
    const agentId = await embeddableAgent(owner.http);
    const { key } = await publishableKey(owner.http, agentId);
    const { client, visitor } = await newVisitor(server.url, key);
    const created = await client.post('/api/v1/embed/conversations', { title: 'Hello' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ agent_id: agentId, visitor_id: visitor.id, title: 'Hello', state: 'idle' });
    expect(created.headers.get('access-control-allow-origin')).toBe(SITE);
    expect((await client.get('/api/v1/embed/conversations')).body.data.map((c: { id: string }) => c.id)).toEqual([created.body.id]);
    expect((await client.get(`/api/v1/embed/conversations/${created.body.id}`)).body.id).toBe(created.body.id);
    expect((await client.get(`/api/v1/embed/conversations/${created.body.id}/events`)).body).toEqual({ data: [], has_more: false, next_after: null });
    expect((await client.delete(`/api/v1/embed/conversations/${created.body.id}`)).status).toBe(204);
    expect((await client.get(`/api/v1/embed/conversations/${created.body.id}`)).status).toBe(404);
  });

  test("visitor A cannot read visitor B's conversation, knowing its id or B's visitor id", async () => {
    const agentId = await embeddableAgent(owner.http);
    const { key } = await publishableKey(owner.http, agentId);
    const a = await newVisitor(server.url, key);
    const b = await newVisitor(server.url, key);
    const secret = (await b.client.post('/api/v1/embed/conversations', { title: "B's" })).body.id;
    const path = `/api/v1/embed/conversations/${secret}`;
    expect((await a.client.get(path)).status).toBe(404);
    expect((await a.client.get(`${path}/events`)).status).toBe(404);
    expect((await a.client.get(`${path}/events`, { accept: 'text/event-stream' })).status).toBe(404);
    expect((await a.client.post(`${path}/messages`, { content: 'hi' })).status).toBe(404);
    expect((await a.client.post(`${path}/stop`)).status).toBe(404);
    expect((await a.client.delete(path)).status).toBe(404);
    expect((await a.client.get('/api/v1/embed/conversations')).body.data).toEqual([]);
    // Knowing B's visitor id gets a session of a new visitor, not B's.
    const posing = await openSession(server.url, { publishable_key: key, visitor: { id: b.visitor.id, resume_key: a.visitor.resume_key } });
    expect(posing.body.visitor.id).not.toBe(b.visitor.id);
    expect((await new VisitorClient(server.url, posing.body.token).get(path)).status).toBe(404);
    expect((await b.client.get(path)).status).toBe(200);
  });

  test("a visitor of one agent cannot reach another agent's conversations of the same owner", async () => {
    const first = await embeddableAgent(owner.http);
    const second = await embeddableAgent(owner.http);
    const visitor = await newVisitor(server.url, (await publishableKey(owner.http, first)).key);
    const ownConversation = (await owner.http.post('/api/v1/conversations', { agent_id: second })).body.id;
    expect((await visitor.client.get(`/api/v1/embed/conversations/${ownConversation}`)).status).toBe(404);
  });

  test('a visitor token on owner routes is 403 insufficient_scope', async () => {
    const agentId = await embeddableAgent(owner.http);
    const { client } = await newVisitor(server.url, (await publishableKey(owner.http, agentId)).key);
    const conversation = (await owner.http.post('/api/v1/conversations', { agent_id: agentId })).body.id;
    for (const [method, path] of [
      ['GET', '/api/v1/agents'],
      ['GET', `/api/v1/agents/${agentId}`],
      ['GET', '/api/v1/conversations'],
      ['GET', `/api/v1/conversations/${conversation}`],
      ['POST', `/api/v1/conversations/${conversation}/confirm`],
      ['GET', `/api/v1/conversations/${conversation}/files`],
      ['GET', `/api/v1/conversations/${conversation}/changes`],
      ['PUT', `/api/v1/conversations/${conversation}/files/content?path=a.txt`],
      ['GET', `/api/v1/agents/${agentId}/publishable-keys`],
      ['POST', `/api/v1/agents/${agentId}/embed-tokens`],
      ['GET', '/api/v1/settings'],
      ['GET', '/api/v1/auth/profile'],
      ['GET', '/api/v1/api-keys'],
    ] as const) {
      const reply = await client.http.request(method, path, method === 'POST' ? {} : undefined, { origin: SITE });
      expect(reply.status, `${method} ${path}`).toBe(403);
      expect(reply.body.error.code, `${method} ${path}`).toBe('insufficient_scope');
    }
  });

  test("an owner's session or API key on visitor routes is 403, and a visitor cannot confirm", async () => {
    const agentId = await embeddableAgent(owner.http);
    const { client } = await newVisitor(server.url, (await publishableKey(owner.http, agentId)).key);
    const conversation = (await client.post('/api/v1/embed/conversations', {})).body.id;
    const ownerHere = new VisitorClient(server.url, owner.token);
    const refused = await ownerHere.get('/api/v1/embed/conversations');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'visitor' });
    const manageKey = (await owner.http.post('/api/v1/api-keys', { name: 'm', scopes: ['manage'] })).body.key;
    expect((await new VisitorClient(server.url, manageKey).get(`/api/v1/embed/conversations/${conversation}`)).status).toBe(403);
    // No confirm route for visitors; the owner's is refused to a visitor token.
    expect((await client.post(`/api/v1/embed/conversations/${conversation}/confirm`, { approve: true })).status).toBeGreaterThanOrEqual(404);
    expect((await client.post(`/api/v1/conversations/${conversation}/confirm`, { approve: true })).status).toBe(403);
  });

  test('a token replayed from another origin, or without one, is 403; the page cannot read the refusal', async () => {
    const agentId = await embeddableAgent(owner.http, {}, {});
    const { client } = await newVisitor(server.url, (await publishableKey(owner.http, agentId, [SITE, OTHER_SITE])).key);
    const elsewhere = await client.from(OTHER_SITE).get('/api/v1/embed/conversations');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.code).toBe('origin_not_allowed');
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    const bare = await client.from(null).get('/api/v1/embed/conversations');
    expect(bare.status).toBe(403);
    expect(bare.body.error.code).toBe('origin_required');
    expect((await client.get('/api/v1/embed/conversations')).status).toBe(200);
  });

  test('a forged token (session key, no audience, or alg none) is 401', async () => {
    const agentId = await embeddableAgent(owner.http);
    const { token } = await newVisitor(server.url, (await publishableKey(owner.http, agentId)).key);
    const claims = jwt.decode(token) as Record<string, unknown>;
    const { jwtSigning } = deriveKeys(TEST_SECRET_KEY);
    const withSessionKey = jwt.sign(claims, jwtSigning, { algorithm: 'HS256' });
    const { aud: _aud, ...noAudience } = claims;
    const signedNoAudience = jwt.sign(noAudience, deriveKeys(TEST_SECRET_KEY).embedSigning, { algorithm: 'HS256' });
    const unsigned = jwt.sign(claims, '', { algorithm: 'none' });
    for (const forged of [withSessionKey, signedNoAudience, unsigned]) {
      const reply = await new VisitorClient(server.url, forged).get('/api/v1/embed/conversations');
      expect(reply.status).toBe(401);
    }
  });

  test('policy changes make tokens stale (401 token_stale): rotating, revoking, changing origins, turning embedding off', async () => {
    const agentId = await embeddableAgent(owner.http);
    const key = await publishableKey(owner.http, agentId);
    const keys = `/api/v1/agents/${agentId}/publishable-keys/${key.id}`;
    const changes: Array<[string, () => Promise<unknown>]> = [
      ['origins changed', () => owner.http.put(keys, { allowed_origins: [SITE, OTHER_SITE] })],
      ['rotated', () => owner.http.post(`${keys}/rotate`)],
    ];
    for (const [what, change] of changes) {
      const current = (await owner.http.get(keys)).body.key;
      const { client } = await newVisitor(server.url, current);
      expect((await client.get('/api/v1/embed/conversations')).status).toBe(200);
      await change();
      const stale = await client.get('/api/v1/embed/conversations');
      expect(stale.status, what).toBe(401);
      expect(stale.body.error.code, what).toBe('token_stale');
    }
    const { client } = await newVisitor(server.url, (await owner.http.get(keys)).body.key);
    const agent = (await owner.http.get(`/api/v1/agents/${agentId}`)).body;
    await owner.http.put(`/api/v1/agents/${agentId}`, { config: { ...agent.config, embed: { ...agent.config.embed, enabled: false } } });
    expect((await client.get('/api/v1/embed/conversations')).body.error.code).toBe('token_stale');
    await owner.http.put(`/api/v1/agents/${agentId}`, { config: agent.config });
    const last = await newVisitor(server.url, (await owner.http.get(keys)).body.key);
    await owner.http.delete(keys);
    expect((await last.client.get('/api/v1/embed/conversations')).body.error.code).toBe('token_stale');
  });
});

describe("visitors' event streams", () => {
  test("count against the visitor's quota (visitor_streams), not the owner's", async () => {
    const agentId = await embeddableAgent(owner.http);
    const { client, token } = await newVisitor(server.url, (await publishableKey(owner.http, agentId)).key);
    const conversation = (await client.post('/api/v1/embed/conversations', {})).body.id;
    const url = `${server.url}/api/v1/embed/conversations/${conversation}/events`;
    const open = () => SseClient.open(url, { token, headers: { origin: SITE } });
    const streams = [await open(), await open()];
    try {
      for (const stream of streams) expect(stream.response.status).toBe(200);
      const refused = await open();
      expect(refused.response.status).toBe(429);
      await refused.ended;
      expect(JSON.parse(refused.text).error).toMatchObject({ code: 'quota_exceeded', quota: 'visitor_streams', limit: 2, current: 2 });
      // The owner (one stream allowed here) is not charged for them.
      const own = await SseClient.open(url.replace('/embed/', '/'), { token: owner.token });
      streams.push(own);
      expect(own.response.status).toBe(200);
    } finally {
      for (const stream of streams) stream.close();
    }
  });
});

describe('server-minted tokens', () => {
  test('an app backend with an embed:mint key mints tokens; the same user_ref is the same visitor', async () => {
    const agentId = await embeddableAgent(owner.http);
    await publishableKey(owner.http, agentId, [SITE]);
    const minter = owner.http.as((await owner.http.post('/api/v1/api-keys', { name: 'app', scopes: ['embed:mint'], agent_ids: [agentId] })).body.key);
    const minted = await minter.post(`/api/v1/agents/${agentId}/embed-tokens`, { user_ref: 'customer-42', origin: SITE, ttl: 3600 });
    expect(minted.status).toBe(201);
    expect(minted.body).toEqual({ token: expect.any(String), expires_at: expect.any(String), visitor: { id: expect.any(String) } });
    expect(Date.parse(minted.body.expires_at) - Date.now()).toBeGreaterThan(3500_000);
    const again = await minter.post(`/api/v1/agents/${agentId}/embed-tokens`, { user_ref: 'customer-42', origin: SITE });
    expect(again.body.visitor.id).toBe(minted.body.visitor.id);
    const other = await minter.post(`/api/v1/agents/${agentId}/embed-tokens`, { user_ref: 'customer-43', origin: SITE });
    expect(other.body.visitor.id).not.toBe(minted.body.visitor.id);

    const visitor = new VisitorClient(server.url, minted.body.token);
    const conversation = (await visitor.post('/api/v1/embed/conversations', {})).body;
    expect(conversation.visitor_id).toBe(minted.body.visitor.id);
    // The same user, with a newer token, finds it.
    expect((await new VisitorClient(server.url, again.body.token).get(`/api/v1/embed/conversations/${conversation.id}`)).status).toBe(200);
    expect((await new VisitorClient(server.url, other.body.token).get(`/api/v1/embed/conversations/${conversation.id}`)).status).toBe(404);
    // The key mints and reaches nothing else.
    expect((await minter.get(`/api/v1/agents/${agentId}`)).status).toBe(403);
    expect((await minter.get('/api/v1/conversations')).status).toBe(403);
  });

  test('the origin must be one of the agent’s keys’; ttl and user_ref are bounded; keys of other scopes and agents are refused', async () => {
    const agentId = await embeddableAgent(owner.http);
    const elsewhere = await embeddableAgent(owner.http);
    await publishableKey(owner.http, agentId, [SITE]);
    const minter = owner.http.as((await owner.http.post('/api/v1/api-keys', { name: 'app', scopes: ['embed:mint'], agent_ids: [agentId] })).body.key);
    const mint = (body: object, agent = agentId, client = minter) => client.post(`/api/v1/agents/${agent}/embed-tokens`, body);
    const refused = await mint({ user_ref: 'u', origin: OTHER_SITE });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('origin_not_allowed');
    for (const [body, field] of [
      [{ user_ref: 'u', origin: SITE, ttl: 59 }, 'ttl'],
      [{ user_ref: 'u', origin: SITE, ttl: 86_401 }, 'ttl'],
      [{ user_ref: 'x'.repeat(129), origin: SITE }, 'user_ref'],
      [{ user_ref: '', origin: SITE }, 'user_ref'],
      [{ user_ref: 'u', origin: 'http://shop.example.com' }, 'origin'],
    ] as const) {
      const reply = await mint(body);
      expect(reply.status, field).toBe(400);
      expect(reply.body.error.details.map((detail: { path: string }) => detail.path)).toEqual([field]);
    }
    expect((await mint({ user_ref: 'u', origin: SITE }, elsewhere)).status).toBe(404);
    const runKey = owner.http.as((await owner.http.post('/api/v1/api-keys', { name: 'run', scopes: ['run'] })).body.key);
    expect((await mint({ user_ref: 'u', origin: SITE }, agentId, runKey)).body.error.code).toBe('insufficient_scope');
    const disabled = (await owner.http.post('/api/v1/agents', { name: 'off' })).body.id;
    await publishableKey(owner.http, disabled, [SITE]);
    expect((await owner.http.post(`/api/v1/agents/${disabled}/embed-tokens`, { user_ref: 'u', origin: SITE })).body.error.code).toBe('embed_disabled');
  });
});

describe('owners see their visitors', () => {
  test("the owner's list filters by agent_id, visitor_id and visitors; the owner reads and deletes a visitor's conversation", async () => {
    const agentId = await embeddableAgent(owner.http);
    const { key } = await publishableKey(owner.http, agentId);
    const a = await newVisitor(server.url, key);
    const b = await newVisitor(server.url, key);
    const ofA = (await a.client.post('/api/v1/embed/conversations', {})).body.id;
    const ofB = (await b.client.post('/api/v1/embed/conversations', {})).body.id;
    const list = (query: string) => owner.http.get(`/api/v1/conversations?${query}`).then((reply) => reply.body.data.map((c: { id: string }) => c.id));
    expect(await list(`agent_id=${agentId}`)).toEqual([ofB, ofA]);
    expect(await list(`visitor_id=${a.visitor.id}`)).toEqual([ofA]);
    expect(await list(`agent_id=${agentId}&visitor_id=${b.visitor.id}`)).toEqual([ofB]);
    // `visitors`: any visitor's conversations, or the owner's own only.
    const own = (await owner.http.post('/api/v1/conversations', { agent_id: agentId })).body.id;
    expect(await list(`agent_id=${agentId}&visitors=only`)).toEqual([ofB, ofA]);
    expect(await list(`agent_id=${agentId}&visitors=none`)).toEqual([own]);
    expect((await owner.http.get('/api/v1/conversations?visitors=some')).body.error).toMatchObject({ code: 'validation_error' });
    expect((await owner.http.get(`/api/v1/conversations/${ofA}`)).body).toMatchObject({ visitor_id: a.visitor.id, agent_id: agentId });
    expect((await owner.http.delete(`/api/v1/conversations/${ofA}`)).status).toBe(204);
    expect((await a.client.get(`/api/v1/embed/conversations/${ofA}`)).status).toBe(404);
    // Another user's filter finds nothing.
    const mallory = await registerUser(new Http(server.url), 'embed-mallory-list');
    expect((await mallory.http.get(`/api/v1/conversations?visitor_id=${b.visitor.id}`)).body.data).toEqual([]);
  });
});

describe('CORS of the visitor routes', () => {
  test('preflights are answered for any origin with Vary: Origin; CORS_ORIGINS does not apply there', async () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${server.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
    const embed = await preflight('/api/v1/embed/sessions', 'https://any.example.org');
    expect(embed.status).toBe(204);
    expect(embed.headers.get('access-control-allow-origin')).toBe('https://any.example.org');
    expect(embed.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(embed.headers.get('vary')).toMatch(/Origin/i);
    // The rest of the API keeps CORS_ORIGINS.
    const owners = await preflight('/api/v1/agents', 'https://any.example.org');
    expect(owners.headers.get('access-control-allow-origin')).toBeNull();
    const dashboard = await preflight('/api/v1/agents', 'https://dashboard.example.com');
    expect(dashboard.headers.get('access-control-allow-origin')).toBe('https://dashboard.example.com');
    const notForEmbed = await openSession(server.url, { publishable_key: 'pk_unknown' }, 'https://dashboard.example.com');
    expect(notForEmbed.headers.get('access-control-allow-origin')).toBeNull();
  });
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Http, registerUser, uniqueEmail } from '../support/http.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

/** Multi-tenant hardening of the HTTP surface: passwords, sessions, replays, caching, proxies and shared rate limits. */
let server: ApiServer;
let http: Http;
beforeAll(async () => {
  server = await startApiServer();
  http = new Http(server.url);
});
afterAll(() => server.close());

describe('passwords', () => {
  test('at least 10 characters, on registration and on a change', async () => {
    const short = await http.post('/api/v1/auth/register', { email: uniqueEmail(), password: 'nine-char' });
    expect(short.status).toBe(400);
    expect(short.body.error.details).toEqual([{ path: 'password', message: expect.stringContaining('10') }]);
    const alice = await registerUser(http, 'pw-min');
    const change = await alice.http.put('/api/v1/auth/password', { current_password: alice.password, new_password: 'nine-char' });
    expect(change.status).toBe(400);
    expect(change.body.error.details.map((d: { path: string }) => d.path)).toEqual(['new_password']);
  });

  test('the most common passwords are refused, whatever their case', async () => {
    for (const password of ['password123', 'QWERTYUIOP', '1234567890']) {
      const reply = await http.post('/api/v1/auth/register', { email: uniqueEmail(), password });
      expect(reply.status, password).toBe(400);
      expect(reply.body.error.code).toBe('validation_error');
      expect(reply.body.error.details).toEqual([{ path: 'password', message: expect.stringContaining('most common') }]);
    }
    const alice = await registerUser(http, 'pw-common');
    const change = await alice.http.put('/api/v1/auth/password', { current_password: alice.password, new_password: 'iloveyou123' });
    expect(change.status).toBe(400);
    expect(change.body.error.details.map((d: { path: string }) => d.path)).toEqual(['new_password']);
  });

  test('a password over 72 bytes is refused at login exactly like a wrong one, though its first 72 bytes are right', async () => {
    const password = `${'a'.repeat(60)}-twelve-more`; // 72 bytes
    expect(Buffer.byteLength(password)).toBe(72);
    const email = uniqueEmail('long');
    expect((await http.post('/api/v1/auth/register', { email, password })).status).toBe(201);
    const longer = await http.post('/api/v1/auth/login', { email, password: `${password}-and-then-some` });
    const wrong = await http.post('/api/v1/auth/login', { email, password: 'a wrong password' });
    expect(longer.status).toBe(401);
    const { request_id: _a, ...longerError } = longer.body.error;
    const { request_id: _b, ...wrongError } = wrong.body.error;
    expect(longerError).toEqual(wrongError);
    expect((await http.post('/api/v1/auth/login', { email, password })).status).toBe(200);
  });
});

describe('sessions', () => {
  test('are listed (live ones only, `current` marking the caller), ended one by one or all but the current', async () => {
    const alice = await registerUser(http, 'sessions');
    const phone = (await http.post('/api/v1/auth/login', { email: alice.email, password: alice.password }, { 'user-agent': 'phone/1.0' })).body
      .access_token as string;
    const laptop = (await http.post('/api/v1/auth/login', { email: alice.email, password: alice.password })).body.access_token as string;
    const list = await alice.http.get('/api/v1/auth/sessions');
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(3);
    expect(list.body.data.filter((session: { current: boolean }) => session.current)).toHaveLength(1);
    const phoneSession = list.body.data.find((session: { user_agent: string | null }) => session.user_agent === 'phone/1.0');
    expect(phoneSession).toMatchObject({ id: expect.any(String), ip: expect.any(String), current: false, expires_at: expect.any(String) });

    expect((await alice.http.delete(`/api/v1/auth/sessions/${phoneSession.id}`)).status).toBe(204);
    expect((await http.as(phone).get('/api/v1/auth/profile')).status).toBe(401);
    expect((await alice.http.delete(`/api/v1/auth/sessions/${phoneSession.id}`)).status).toBe(404);
    expect((await alice.http.get('/api/v1/auth/sessions')).body.data).toHaveLength(2);

    expect((await alice.http.delete('/api/v1/auth/sessions')).status).toBe(204);
    expect((await http.as(laptop).get('/api/v1/auth/profile')).status).toBe(401);
    expect((await alice.http.get('/api/v1/auth/profile')).status).toBe(200);
    expect((await alice.http.get('/api/v1/auth/sessions')).body.data).toEqual([expect.objectContaining({ current: true })]);
  });

  test("another user's session is a 404 and stays", async () => {
    const alice = await registerUser(http, 'sessions-a');
    const bob = await registerUser(http, 'sessions-b');
    const bobs = (await bob.http.get('/api/v1/auth/sessions')).body.data[0].id as string;
    expect((await alice.http.delete(`/api/v1/auth/sessions/${bobs}`)).status).toBe(404);
    expect((await bob.http.get('/api/v1/auth/profile')).status).toBe(200);
  });

  test('expired and revoked sessions are swept', async () => {
    const alice = await registerUser(http, 'sweep');
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    try {
      const expired = await db.query(
        `insert into sessions (id, user_id, created_at, expires_at) values (gen_random_uuid(), $1, now() - interval '2 days', now() - interval '1 day') returning id`,
        [alice.user.id],
      );
      const isThere = async () => (await db.query('select 1 from sessions where id = $1', [expired.rows[0].id])).rowCount === 1;
      expect(await isThere()).toBe(true);
      // A new server process sweeps on its first login.
      const other = await startApiServer({ databaseUrl: server.databaseUrl });
      try {
        expect((await new Http(other.url).post('/api/v1/auth/login', { email: alice.email, password: alice.password })).status).toBe(200);
      } finally {
        await other.close();
      }
      expect(await isThere()).toBe(false);
    } finally {
      await db.end();
    }
  });
});

describe('idempotent replays of minted credentials', () => {
  test('go only to the session that made the request', async () => {
    const alice = await registerUser(http, 'replay');
    const body = { name: 'ci', scopes: ['read'] };
    const first = await alice.http.post('/api/v1/api-keys', body, { 'idempotency-key': 'mint-once' });
    expect(first.status).toBe(201);
    const again = await alice.http.post('/api/v1/api-keys', body, { 'idempotency-key': 'mint-once' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.key).toBe(first.body.key);
    // Another session of the same user, same key and body: a request of its own, not the first one's key.
    const other = http.as((await http.post('/api/v1/auth/login', { email: alice.email, password: alice.password })).body.access_token);
    const elsewhere = await other.post('/api/v1/api-keys', body, { 'idempotency-key': 'mint-once' });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.headers.get('idempotent-replayed')).toBeNull();
    expect(elsewhere.body.key).not.toBe(first.body.key);
  });
});

test('every /api answer is Cache-Control: no-store, errors included; health checks are left alone', async () => {
  const alice = await registerUser(http, 'no-store');
  for (const reply of [
    await alice.http.get('/api/v1/auth/profile'),
    await alice.http.get('/api/v1/agents'),
    await http.get('/api/v1/agents'),
    await http.get('/api/v1/openapi.json'),
    await http.post('/api/v1/auth/login', { email: 'x@example.com', password: 'whatever-12' }),
  ]) {
    expect(reply.headers.get('cache-control')).toBe('no-store');
  }
  expect((await http.get('/healthz')).headers.get('cache-control')).not.toBe('no-store');
});

describe('TRUST_PROXY', () => {
  test("takes the client address from the proxy's hop, not from entries the client wrote itself", async () => {
    const proxied = await startApiServer({ env: { TRUST_PROXY: 'true', RATE_LIMIT_LOGIN_PER_IP: '3', RATE_LIMIT_LOGIN_PER_EMAIL: '1000' } });
    try {
      const client = new Http(proxied.url);
      // The proxy appends the address it saw (10.9.0.1) to whatever the client sent: a fresh forged value each time.
      const login = (forged: string) =>
        client.post('/api/v1/auth/login', { email: uniqueEmail(), password: 'wrong password' }, { 'x-forwarded-for': `${forged}, 10.9.0.1` });
      for (let i = 0; i < 3; i++) expect((await login(`198.51.100.${i}`)).status).toBe(401);
      expect((await login('198.51.100.99')).status).toBe(429);
    } finally {
      await proxied.close();
    }
  });

  test('takes a hop count: with 2, the address the first of two proxies saw', async () => {
    const proxied = await startApiServer({ env: { TRUST_PROXY: '2', RATE_LIMIT_LOGIN_PER_IP: '2', RATE_LIMIT_LOGIN_PER_EMAIL: '1000' } });
    try {
      const client = new Http(proxied.url);
      const login = (chain: string) => client.post('/api/v1/auth/login', { email: uniqueEmail(), password: 'wrong password' }, { 'x-forwarded-for': chain });
      expect((await login('203.0.113.1, 10.9.0.7, 10.9.0.1')).status).toBe(401);
      expect((await login('203.0.113.2, 10.9.0.7, 10.9.0.2')).status).toBe(401);
      // Same client address (10.9.0.7, seen by the outer proxy), whatever the client and the inner hop wrote.
      expect((await login('203.0.113.3, 10.9.0.7, 10.9.0.3')).status).toBe(429);
      expect((await login('203.0.113.3, 10.9.0.8, 10.9.0.3')).status).toBe(401);
    } finally {
      await proxied.close();
    }
  });
});

describe('rate limits shared by every process (Postgres)', () => {
  test('login attempts per email count across two servers on one database', async () => {
    const env = { RATE_LIMIT_LOGIN_PER_EMAIL: '4' };
    const a = await startApiServer({ env });
    const b = await startApiServer({ env, databaseUrl: a.databaseUrl });
    try {
      const alice = await registerUser(new Http(a.url), 'shared-limit');
      const tryOn = (url: string) => new Http(url).post('/api/v1/auth/login', { email: alice.email, password: 'wrong password' });
      for (const url of [a.url, b.url, a.url, b.url]) expect((await tryOn(url)).status).toBe(401);
      const refused = await tryOn(b.url);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await tryOn(a.url)).status).toBe(429);
    } finally {
      await b.close();
      await a.close();
    }
  });

  test('failed metis_ key attempts are throttled per IP, then even a good key from that IP waits', async () => {
    const limited = await startApiServer({ env: { RATE_LIMIT_FAILED_AUTH_PER_IP: '3', TRUST_PROXY: '1' } });
    try {
      const client = new Http(limited.url);
      const alice = await registerUser(client, 'key-guess');
      const key = (await alice.http.post('/api/v1/api-keys', { name: 'good', scopes: ['read'] })).body.key as string;
      const from = (ip: string, token: string) => client.as(token).get('/api/v1/agents', { 'x-forwarded-for': ip });
      for (let i = 0; i < 3; i++) expect((await from('10.7.0.1', `metis_guess${i}`)).status).toBe(401);
      const throttled = await from('10.7.0.1', 'metis_guess-again');
      expect(throttled.status).toBe(429);
      expect(throttled.body.error.code).toBe('rate_limited');
      expect((await from('10.7.0.1', key)).status).toBe(429);
      // Another address is not affected.
      expect((await from('10.7.0.2', key)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

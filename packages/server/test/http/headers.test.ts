import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Http, registerUser } from '../support/http.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

const ORIGIN = 'https://app.example';
let server: ApiServer;
let http: Http;
beforeAll(async () => {
  server = await startApiServer({ env: { CORS_ORIGINS: `${ORIGIN}, https://admin.example`, RATE_LIMIT_LOGIN_PER_EMAIL: '1' } });
  http = new Http(server.url);
});
afterAll(() => server.close());

const list = (value: string | null) => (value ?? '').split(',').map((item) => item.trim().toLowerCase());

describe('security headers', () => {
  test.each(['/healthz', '/api/v1/agents', '/api/v1/nope', '/api/v1/openapi.json'])('%s carries them', async (path) => {
    const reply = await http.get(path);
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(reply.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(reply.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(reply.headers.get('strict-transport-security')).toContain('max-age=');
    expect(reply.headers.get('x-powered-by')).toBeNull();
  });
});

describe('request ids', () => {
  test('every response has one, and error bodies repeat it', async () => {
    const seen = new Set<string>();
    for (const path of ['/healthz', '/api/v1/agents', '/api/v1/nope']) {
      const reply = await http.get(path);
      const id = reply.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      seen.add(id!);
      if (reply.status >= 400) expect(reply.body.error.request_id).toBe(id);
    }
    expect(seen.size).toBe(3);
  });

  test('whatever the status: 201, 202, 204, 400, 401, 404, 409, 415, preflight', async () => {
    const alice = await registerUser(http, 'request-ids');
    const agent = (await alice.http.post('/api/v1/agents', { name: 'a' })).body;
    const replies = [
      await alice.http.post('/api/v1/conversations', {}),
      await alice.http.post(`/api/v1/agents/${agent.id}/start`),
      await alice.http.delete(`/api/v1/agents/${agent.id}`),
      await alice.http.post('/api/v1/agents', {}),
      await http.get('/api/v1/agents'),
      await alice.http.get(`/api/v1/agents/${agent.id}`),
      await alice.http.post('/api/v1/secrets', { name: 'X', value: 'v' }).then(() => alice.http.post('/api/v1/secrets', { name: 'X', value: 'v' })),
      await alice.http.post('/api/v1/agents', 'x', { 'content-type': 'text/plain' }),
      await http.request('OPTIONS', '/api/v1/agents', undefined, { origin: ORIGIN, 'access-control-request-method': 'GET' }),
      await alice.http.post('/api/v1/auth/logout'),
    ];
    expect(replies.map((reply) => reply.status)).toEqual([201, 202, 204, 400, 401, 404, 409, 415, 204, 204]);
    for (const reply of replies) expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a sane X-Request-Id from the client is echoed; anything else is replaced', async () => {
    const sane = 'client-req.0042:retry_1';
    const echoed = await http.get('/api/v1/agents', { 'x-request-id': sane });
    expect(echoed.headers.get('x-request-id')).toBe(sane);
    expect(echoed.body.error.request_id).toBe(sane);
    for (const insane of ['short', 'has spaces in it', 'x'.repeat(129), '<script>alert(1)</script>']) {
      const reply = await http.get('/healthz', { 'x-request-id': insane });
      expect(reply.headers.get('x-request-id'), insane).not.toBe(insane);
      expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('CORS', () => {
  test('a preflight from an allowed origin is answered 204 with the headers a browser client needs', async () => {
    const reply = await http.request('OPTIONS', '/api/v1/conversations', undefined, {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, idempotency-key, last-event-id',
    });
    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(list(reply.headers.get('access-control-allow-headers'))).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'last-event-id']),
    );
    expect(list(reply.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'post', 'put', 'delete']));
    expect(reply.headers.get('vary')?.toLowerCase()).toContain('origin');
  });

  test('the second allowed origin works too', async () => {
    const reply = await http.get('/healthz', { origin: 'https://admin.example' });
    expect(reply.headers.get('access-control-allow-origin')).toBe('https://admin.example');
  });

  test('actual responses, errors included, expose X-Request-Id and Retry-After', async () => {
    const ok = await http.get('/healthz', { origin: ORIGIN });
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(list(ok.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['x-request-id', 'retry-after']));

    const unauthorized = await http.get('/api/v1/agents', { origin: ORIGIN });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(list(unauthorized.headers.get('access-control-expose-headers'))).toContain('x-request-id');

    // A 429 a browser can read, Retry-After included.
    const alice = await registerUser(http, 'cors');
    await http.post('/api/v1/auth/login', { email: alice.email, password: 'wrong password' });
    const limited = await http.post('/api/v1/auth/login', { email: alice.email, password: 'wrong password' }, { origin: ORIGIN });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(list(limited.headers.get('access-control-expose-headers'))).toContain('retry-after');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  test('another origin gets no CORS headers, on preflight or request', async () => {
    const evil = 'https://evil.example';
    const preflight = await http.request('OPTIONS', '/api/v1/conversations', undefined, {
      origin: evil,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
    const reply = await http.get('/healthz', { origin: evil });
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
    // Nor does a look-alike of an allowed origin.
    for (const origin of [`${ORIGIN}.evil.example`, 'http://app.example', `${ORIGIN}:8443`]) {
      expect((await http.get('/healthz', { origin })).headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  test('without CORS_ORIGINS no origin is allowed', async () => {
    const closed = await startApiServer();
    try {
      const reply = await new Http(closed.url).request('OPTIONS', '/api/v1/agents', undefined, {
        origin: ORIGIN,
        'access-control-request-method': 'GET',
      });
      expect(reply.headers.get('access-control-allow-origin')).toBeNull();
      expect((await new Http(closed.url).get('/healthz', { origin: ORIGIN })).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await closed.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Http, registerUser, type Reply } from '../support/http.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

let server: ApiServer;
/** Every reply of this file: none may be a 5xx. */
const replies: { path: string; status: number }[] = [];
let http: Http;
let alice: Http;
const ids = { agent: '', conversation: '' };
beforeAll(async () => {
  server = await startApiServer();
  http = new Http(server.url);
  const user = await registerUser(http, 'bad-input');
  // From here on, record every reply.
  http.onReply = (reply: Reply) => replies.push({ path: reply.headers.get('x-request-id') ?? '', status: reply.status });
  alice = http.as(user.token);
  ids.agent = (await alice.post('/api/v1/agents', { name: 'a' })).body.id;
  ids.conversation = (await alice.post('/api/v1/conversations', {})).body.id;
});
afterAll(() => server.close());

/** Every route that takes a body, with a valid body for it. */
const bodyRoutes = (): [string, string, object][] => [
  ['POST', '/auth/register', { email: 'someone@example.com', password: 'uncommon-pass-123' }],
  ['POST', '/auth/login', { email: 'someone@example.com', password: 'uncommon-pass-123' }],
  ['PUT', '/auth/password', { current_password: 'x', new_password: 'uncommon-pass-123' }],
  ['POST', '/agents', { name: 'a' }],
  ['PUT', `/agents/${ids.agent}`, { name: 'a' }],
  ['POST', '/conversations', {}],
  ['PUT', `/conversations/${ids.conversation}`, { title: 't' }],
  ['POST', `/conversations/${ids.conversation}/messages`, { content: 'hi' }],
  ['PUT', '/settings', {}],
  ['POST', '/secrets', { name: 'S', value: 'v' }],
  ['POST', '/api-keys', { name: 'k', scopes: ['read'] }],
  // A wrong password: the account stays.
  ['DELETE', '/auth/profile', { password: 'not the password' }],
];
const send = (method: string, path: string, body: unknown, headers?: Record<string, string>) => alice.request(method, `/api/v1${path}`, body, headers);

describe('bodies', () => {
  test('malformed JSON is a 400 malformed_json', async () => {
    for (const [method, path] of bodyRoutes()) {
      for (const text of ['{"name":', '{name: "a"}', "{'a': 1}", '{"a":1}}']) {
        const reply = await send(method, path, text);
        expect(reply.status, `${method} ${path} ${text}`).toBe(400);
        expect(reply.body.error.code).toBe('malformed_json');
        expect(reply.body.error.request_id).toBe(reply.headers.get('x-request-id'));
      }
    }
  });

  test('an unknown field is a 400 naming it, on every route with a body', async () => {
    for (const [method, path, body] of bodyRoutes()) {
      const reply = await send(method, path, { ...body, is_admin: true });
      expect(reply.status, `${method} ${path}`).toBe(400);
      expect(reply.body.error.code).toBe('validation_error');
      expect(reply.body.error.details.map((d: { path: string }) => d.path)).toContain('is_admin');
    }
  });

  test('a body that is not an object is a 400, never a 500', async () => {
    for (const [method, path] of bodyRoutes()) {
      for (const text of ['null', '[]', '[{"name":"a"}]', '"a string"', '42', 'true']) {
        const reply = await send(method, path, text);
        expect(reply.status, `${method} ${path} ${text}`).toBe(400);
        expect(['validation_error', 'malformed_json']).toContain(reply.body.error.code);
      }
    }
  });

  test('fields of the wrong type are a 400 naming them', async () => {
    const cases: [string, string, object, string][] = [
      ['POST', '/auth/register', { email: 5, password: 'uncommon-pass-123' }, 'email'],
      ['POST', '/auth/register', { email: 'x@example.com', password: ['uncommon-pass-123'] }, 'password'],
      ['POST', '/auth/register', { email: 'x@example.com', password: 'uncommon-pass-123', name: { first: 'A' } }, 'name'],
      ['POST', '/auth/login', { email: null, password: 'uncommon-pass-123' }, 'email'],
      ['POST', '/auth/login', { email: 'x@example.com', password: 12345678 }, 'password'],
      ['POST', '/agents', { name: 42 }, 'name'],
      ['POST', '/agents', { name: 'a', config: [] }, 'config'],
      ['POST', '/agents', { name: 'a', config: null }, 'config'],
      ['POST', '/agents', { name: 'a', config: 'default' }, 'config'],
      ['POST', '/agents', { name: 'a', config: { tools: 'execute_bash' } }, 'config.tools'],
      ['POST', '/agents', { name: 'a', config: { secrets: [1] } }, 'config.secrets.0'],
      ['PUT', `/agents/${ids.agent}`, { name: ['a'] }, 'name'],
      ['POST', '/conversations', { agent_id: 5 }, 'agent_id'],
      ['POST', '/conversations', { agent_id: 'not-a-uuid' }, 'agent_id'],
      ['POST', '/conversations', { title: ['t'] }, 'title'],
      ['PUT', `/conversations/${ids.conversation}`, {}, 'title'],
      ['POST', `/conversations/${ids.conversation}/messages`, { content: ['hi'] }, 'content'],
      ['POST', `/conversations/${ids.conversation}/messages`, { content: { text: 'hi' } }, 'content'],
      ['PUT', '/settings', { confirmation_mode: 1 }, 'confirmation_mode'],
      ['PUT', '/settings', { max_iterations: [5] }, 'max_iterations'],
      ['POST', '/secrets', { name: 5, value: 'v' }, 'name'],
      ['POST', '/api-keys', { name: 'k', scopes: ['read'], expires_in_days: '30' }, 'expires_in_days'],
    ];
    for (const [method, path, body, field] of cases) {
      const reply = await send(method, path, body);
      expect(reply.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(reply.body.error.code).toBe('validation_error');
      expect(reply.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    }
  });

  test('text PostgreSQL cannot store (NUL, unpaired surrogates) is a 400 naming the field, on every route with a body', async () => {
    const fieldOf: Record<string, string> = {
      '/auth/register': 'password',
      '/auth/login': 'email',
      '/auth/password': 'new_password',
      '/agents': 'name',
      '/conversations': 'title',
      '/settings': 'llm_model',
      '/secrets': 'name',
      '/api-keys': 'name',
      '/auth/profile': 'password',
    };
    for (const [method, path, body] of bodyRoutes()) {
      const field = fieldOf[path.replace(/\/[0-9a-f-]{36}/, '')] ?? (path.endsWith('/messages') ? 'content' : 'title');
      for (const [label, text] of [
        ['NUL', `a\u0000b-long-enough`],
        ['lone surrogate', `a\ud800b-long-enough`],
      ] as const) {
        const raw = JSON.stringify({ ...body, [field]: text });
        const reply = await send(method, path, raw);
        expect(reply.status, `${method} ${path} ${label}`).toBe(400);
        expect(
          reply.body.error.details.map((d: { path: string }) => d.path),
          `${method} ${path} ${label}`,
        ).toContain(field);
      }
    }
    const nested = await send('POST', '/agents', { name: 'a', config: { tools: ['think'], llm_model: 'm\u0000', system_prompt: '\udc00' } });
    expect(nested.status).toBe(400);
    expect(nested.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['config.llm_model', 'config.system_prompt']);
    // Characters that are merely unusual are fine.
    const fine = await send('POST', '/agents', { name: 'emoji 🤖 and ü and \u0001', config: { system_prompt: '\t\n\r' } });
    expect(fine.status).toBe(201);
    expect(fine.body.name).toBe('emoji 🤖 and ü and \u0001');
  });

  test('deeply nested JSON is a 400, with or without an Idempotency-Key', async () => {
    const deep = `{"name":"a","config":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    for (const [path, client] of [
      ['/api/v1/agents', alice],
      ['/api/v1/auth/register', http],
    ] as const) {
      expect((await client.post(path, deep)).status, path).toBe(400);
      expect((await client.post(path, deep, { 'idempotency-key': `deep-${path.length}` })).status, `${path} with a key`).toBe(400);
    }
  });

  test('__proto__ and constructor keys are refused, not a way in', async () => {
    const before = (await alice.get('/api/v1/agents?limit=100')).body.data.length;
    const proto = await send('POST', '/agents', '{"name":"a","__proto__":{"status":"running"}}');
    expect(proto.status).toBe(400);
    const nested = await send('POST', '/agents', '{"name":"a","config":{"__proto__":{"max_iterations":0}}}');
    expect(nested.status).toBe(400);
    const constructor = await send('POST', '/agents', { name: 'a', constructor: { prototype: { x: 1 } } });
    expect(constructor.status).toBe(400);
    expect((await alice.get('/api/v1/agents?limit=100')).body.data.length).toBe(before);
  });

  test('a body that is not JSON is a 415', async () => {
    for (const [method, path] of bodyRoutes()) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const reply = await send(method, path, 'name=a', { 'content-type': type });
        expect(reply.status, `${method} ${path} ${type}`).toBe(415);
        expect(reply.body.error.code).toBe('unsupported_media_type');
        expect(reply.body.error.request_id).toBe(reply.headers.get('x-request-id'));
      }
    }
  });

  test('JSON with a charset is fine, and a POST without a body needs no content type', async () => {
    const reply = await send('POST', '/agents', JSON.stringify({ name: 'charset' }), { 'content-type': 'application/json; charset=utf-8' });
    expect(reply.status).toBe(201);
    const start = await alice.post(`/api/v1/agents/${reply.body.id}/start`);
    expect(start.status).toBe(202);
  });

  test('a body over BODY_LIMIT_BYTES is a 413 payload_too_large', async () => {
    const small = await startApiServer({ env: { BODY_LIMIT_BYTES: '2048' } });
    try {
      const client = new Http(small.url);
      const user = await registerUser(client, 'limit');
      const big = { name: 'a', description: 'x'.repeat(5 * 1024) };
      for (const [who, path] of [
        [user.http, '/api/v1/agents'],
        [client, '/api/v1/auth/register'],
        [client, '/api/v1/agents'],
      ] as const) {
        const reply = await who.post(path, big);
        replies.push({ path, status: reply.status });
        expect(reply.status, path).toBe(413);
        expect(reply.body.error.code).toBe('payload_too_large');
        expect(reply.body.error.request_id).toBe(reply.headers.get('x-request-id'));
      }
      // Just under the limit is fine.
      const fits = await user.http.post('/api/v1/agents', { name: 'a', description: 'x'.repeat(900) });
      expect(fits.status).toBe(201);
    } finally {
      await small.close();
    }
  });
});

describe('paths', () => {
  const idRoutes = (bad: string): [string, string][] => [
    ['GET', `/agents/${bad}`],
    ['PUT', `/agents/${bad}`],
    ['DELETE', `/agents/${bad}`],
    ['POST', `/agents/${bad}/start`],
    ['POST', `/agents/${bad}/stop`],
    ['GET', `/conversations/${bad}`],
    ['PUT', `/conversations/${bad}`],
    ['DELETE', `/conversations/${bad}`],
    ['GET', `/conversations/${bad}/messages`],
    ['POST', `/conversations/${bad}/messages`],
    ['GET', `/conversations/${bad}/events`],
    ['DELETE', `/secrets/${bad}`],
    ['DELETE', `/api-keys/${bad}`],
    ['DELETE', `/auth/sessions/${bad}`],
  ];

  test.each(['123', 'not-a-uuid', `${'0'.repeat(36)}x`, "1'%20or%201=1", '%E0%A4%A'])('the id %s is a 404', async (bad) => {
    for (const [method, path] of idRoutes(bad)) {
      const body = method === 'PUT' || method === 'POST' ? {} : undefined;
      const reply = await send(method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.body.error.code).toBe('not_found');
    }
  });

  test('an unknown route is a JSON 404', async () => {
    // `/` is the web console's page (routes/console.ts); other paths outside /api are JSON 404s unless a browser asks.
    for (const path of ['/api/v1/nope', '/api/v1/agents/x/y/z', '/nope', '/api/v2/agents']) {
      for (const client of [http, alice]) {
        const reply = await client.get(path);
        expect(reply.status, path).toBe(404);
        expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
        expect(reply.body.error).toMatchObject({ code: 'not_found', request_id: reply.headers.get('x-request-id') });
      }
    }
  });

  test('a known path with another method is a JSON 405', async () => {
    for (const [method, path] of [
      ['PATCH', '/api/v1/agents'],
      ['DELETE', '/api/v1/agents'],
      ['PUT', '/api/v1/auth/login'],
    ]) {
      const reply = await alice.request(method!, path!, {});
      expect(reply.status, `${method} ${path}`).toBe(405);
      expect(reply.body.error.code).toBe('method_not_allowed');
    }
  });

  test('query strings with repeated or unknown parameters are a 400', async () => {
    for (const query of ['limit=1&limit=2', 'foo=bar', 'after=1&after=2', 'limit[]=1', 'limit=']) {
      const reply = await alice.get(`/api/v1/agents?${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body.error.code).toBe('validation_error');
    }
  });

  test('an Idempotency-Key of the wrong shape is a 400', async () => {
    for (const key of ['has space', 'x'.repeat(256), 'a/b', 'semi;colon']) {
      const reply = await alice.post('/api/v1/agents', { name: 'a' }, { 'idempotency-key': key });
      expect(reply.status, key).toBe(400);
    }
  });
});

test('none of this was ever a 5xx', () => {
  expect(replies.length).toBeGreaterThan(200);
  expect(replies.filter((reply) => reply.status >= 500)).toEqual([]);
});

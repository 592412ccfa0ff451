import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { Http, registerUser } from '../support/http.ts';
import { MISSING_ID, startApiServer, type ApiServer } from './api-server.ts';

/** Sends `raw` bytes on a fresh connection and answers everything the server wrote until it closed the connection. */
function rawExchange(url: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(raw));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Status line, headers (lower-cased names) and JSON body of a raw HTTP/1.1 response. */
function parseRaw(response: string) {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) };
}

describe('requests the HTTP parser refuses (the whole server)', () => {
  const lines: string[] = [];
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer({ withRunner: true, logger: createLogger('debug', { write: (line: string) => void lines.push(line) }) });
  });
  afterAll(() => server.close());

  test('a URL over the header limit is a 431 request_header_too_large with the JSON error body', async () => {
    const reply = await new Http(server.url).get(`/api/v1/agents?q=${'x'.repeat(20_000)}`);
    expect(reply.status).toBe(431);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.body.error).toMatchObject({ code: 'request_header_too_large', message: expect.stringMatching(/16 KiB/) });
    expect(reply.body.error.request_id).toBe(reply.headers.get('x-request-id'));
  });

  test('headers over the limit are a 431 too, and the Authorization header they carry is never logged', async () => {
    const secret = 'metis_secret-in-oversized-request-7f3a';
    const reply = await new Http(server.url, secret).get('/api/v1/agents', { 'x-padding': 'p'.repeat(20_000) });
    expect(reply.status).toBe(431);
    expect(reply.body.error.code).toBe('request_header_too_large');
    const logged = lines.join('\n');
    expect(logged).toContain(reply.body.error.request_id);
    expect(logged).not.toContain(secret);
    expect(logged).not.toContain('ppppppppppppppppppppppppp');
  });

  test('malformed HTTP is a 400 bad_request with the JSON error body, and the connection is closed', async () => {
    const response = parseRaw(
      await rawExchange(server.url, 'GET /api/v1/server-info HTTP/1.1\r\nHost: x\r\nBad Header Line\r\nAuthorization: Bearer leak-me-not-91c2\r\n\r\n'),
    );
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers.connection).toBe('close');
    expect(response.body.error).toMatchObject({ code: 'bad_request', request_id: response.headers['x-request-id'] });
    expect(lines.join('\n')).not.toContain('leak-me-not-91c2');
  });
});

describe('bodies and fields', () => {
  let server: ApiServer;
  let alice: Http;
  beforeAll(async () => {
    server = await startApiServer({ env: { QUOTA_MAX_EMBED_SANDBOXES_PER_AGENT: '4', QUOTA_MAX_WARM_POOL_SIZE: '2' } });
    alice = (await registerUser(new Http(server.url), 'edges')).http;
  });
  afterAll(() => server.close());

  test('a body that is JSON but not an object says so, on the body as a whole (field "")', async () => {
    for (const [text, kind] of [
      ['[]', 'an array'],
      ['[{"name":"a"}]', 'an array'],
      ['"a string"', 'a string'],
      ['42', 'a number'],
      ['true', 'a boolean'],
      ['null', 'null'],
    ]) {
      const reply = await alice.post('/api/v1/agents', text);
      expect(reply.status, text).toBe(400);
      expect(reply.body.error, text).toMatchObject({
        code: 'validation_error',
        message: `Invalid request body: the body must be a JSON object, not ${kind}`,
        field: '',
        details: [{ path: '', message: 'must be a JSON object' }],
      });
    }
    // Not JSON at all is still malformed_json.
    expect((await alice.post('/api/v1/agents', '[1,')).body.error.code).toBe('malformed_json');
  });

  test('repository: {} says the url is required, on repository.url', async () => {
    const reply = await alice.post('/api/v1/conversations', { repository: {} });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({
      code: 'validation_error',
      field: 'repository.url',
      details: [{ path: 'repository.url', message: 'is required' }],
    });
    const wrong = await alice.post('/api/v1/conversations', { repository: { url: 'ftp://example.com/r.git' } });
    expect(wrong.body.error).toMatchObject({ field: 'repository.url', details: [{ path: 'repository.url', message: 'must be an https:// URL' }] });
  });

  test("a config over the server's caps is a 400 naming the field and the cap, not a 429", async () => {
    const embed = await alice.post('/api/v1/agents', { name: 'e', config: { embed: { enabled: true, policy: { quotas: { agent_sandboxes: 5 } } } } });
    expect(embed.status).toBe(400);
    expect(embed.body.error).toMatchObject({
      code: 'validation_error',
      field: 'config.embed.policy.quotas.agent_sandboxes',
      limit: 4,
      message: expect.stringMatching(/at most 4 on this server/),
    });
    // Embedding off: its default agent_sandboxes (5) over the cap (4) refuses nothing.
    const created = await alice.post('/api/v1/agents', { name: 'w' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const agent = created.body;
    const pool = await alice.put(`/api/v1/agents/${agent.id}`, {
      config: { warm_pool_size: 3, embed: { enabled: true, policy: { quotas: { agent_sandboxes: 9 } } } },
    });
    expect(pool.status).toBe(400);
    expect(pool.body.error.code).toBe('validation_error');
    expect(pool.body.error.field).toBeUndefined();
    expect(pool.body.error.details).toEqual([
      { path: 'config.warm_pool_size', message: expect.stringMatching(/at most 2 on this server/) },
      { path: 'config.embed.policy.quotas.agent_sandboxes', message: expect.stringMatching(/at most 4 on this server/) },
    ]);
    expect(
      (await alice.put(`/api/v1/agents/${agent.id}`, { config: { warm_pool_size: 2, embed: { enabled: true, policy: { quotas: { agent_sandboxes: 4 } } } } }))
        .status,
    ).toBe(200);
  });
});

describe('docs/embedding.md, step 1', () => {
  let server: ApiServer;
  let alice: Http;
  beforeAll(async () => {
    server = await startApiServer();
    alice = (await registerUser(new Http(server.url), 'embed-docs')).http;
  });
  afterAll(() => server.close());

  test('turning embedding on as documented (GET the config, set embed.enabled, PUT it back whole) keeps the rest of it', async () => {
    const config = { max_iterations: 7, system_prompt: 'keep me', warm_pool_size: 0, tools: ['execute_bash', 'finish'], embed: { retention_days: 30 } };
    const created = await alice.post('/api/v1/agents', { name: 'docs', config });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const agent = created.body;
    const read = (await alice.get(`/api/v1/agents/${agent.id}`)).body;
    // What `jq '{config: (.config | .embed.enabled = true)}'` does.
    const reply = await alice.put(`/api/v1/agents/${agent.id}`, { config: { ...read.config, embed: { ...read.config.embed, enabled: true } } });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.config).toEqual({ ...read.config, embed: { ...read.config.embed, enabled: true } });
    expect(reply.body.config).toMatchObject({ ...config, embed: { enabled: true, retention_days: 30 } });
    // The example the docs showed before: the rest of the config went back to its defaults.
    const wiped = (await alice.put(`/api/v1/agents/${agent.id}`, { config: { embed: { enabled: true } } })).body.config;
    expect(wiped.system_prompt).not.toBe('keep me');
  });
});

describe("another user's keys", () => {
  let server: ApiServer;
  let alice: Http;
  let bob: Http;
  let bobEmail: string;
  const bobs = { agent: '', publishableKey: '', apiKey: '', secret: '' };
  const alices = { agent: '' };
  beforeAll(async () => {
    server = await startApiServer();
    const http = new Http(server.url);
    alice = (await registerUser(http, 'key-alice')).http;
    const bobUser = await registerUser(http, 'key-bob');
    bob = bobUser.http;
    bobEmail = bobUser.email;
    bobs.agent = (await bob.post('/api/v1/agents', { name: 'bob agent' })).body.id;
    const pk = await bob.post(`/api/v1/agents/${bobs.agent}/publishable-keys`, { allowed_origins: ['https://bob.example'] });
    expect(pk.status).toBe(201);
    bobs.publishableKey = pk.body.id;
    bobs.apiKey = (await bob.post('/api/v1/api-keys', { name: 'bob key', scopes: ['read'] })).body.id;
    bobs.secret = (await bob.post('/api/v1/secrets', { name: 'BOB_SECRET', value: 'v' })).body.id;
    alices.agent = (await alice.post('/api/v1/agents', { name: 'alice agent' })).body.id;
  });
  afterAll(() => server.close());

  test('every key route answers 404 naming the right kind of thing, exactly as for a missing one, revealing nothing of the owner', async () => {
    const pkOf = (agent: string, key: string) => `/api/v1/agents/${agent}/publishable-keys/${key}`;
    // [method, path, body, the message, the same call with an id that names nothing]
    const cases: [string, string, unknown, string, string][] = [
      // Bob's agent: the agent is what Alice does not have, whatever the key.
      ['GET', `/api/v1/agents/${bobs.agent}/publishable-keys`, undefined, 'agent not found', `/api/v1/agents/${MISSING_ID}/publishable-keys`],
      [
        'POST',
        `/api/v1/agents/${bobs.agent}/publishable-keys`,
        { allowed_origins: ['https://a.example'] },
        'agent not found',
        `/api/v1/agents/${MISSING_ID}/publishable-keys`,
      ],
      ['GET', pkOf(bobs.agent, bobs.publishableKey), undefined, 'agent not found', pkOf(MISSING_ID, bobs.publishableKey)],
      ['PUT', pkOf(bobs.agent, bobs.publishableKey), { allowed_origins: ['https://a.example'] }, 'agent not found', pkOf(MISSING_ID, bobs.publishableKey)],
      ['POST', `${pkOf(bobs.agent, bobs.publishableKey)}/rotate`, undefined, 'agent not found', `${pkOf(MISSING_ID, bobs.publishableKey)}/rotate`],
      ['DELETE', pkOf(bobs.agent, bobs.publishableKey), undefined, 'agent not found', pkOf(MISSING_ID, bobs.publishableKey)],
      // Bob's key under Alice's own agent: the publishable key is what she does not have.
      ['GET', pkOf(alices.agent, bobs.publishableKey), undefined, 'publishable key not found', pkOf(alices.agent, MISSING_ID)],
      ['PUT', pkOf(alices.agent, bobs.publishableKey), { allowed_origins: ['https://a.example'] }, 'publishable key not found', pkOf(alices.agent, MISSING_ID)],
      ['POST', `${pkOf(alices.agent, bobs.publishableKey)}/rotate`, undefined, 'publishable key not found', `${pkOf(alices.agent, MISSING_ID)}/rotate`],
      ['DELETE', pkOf(alices.agent, bobs.publishableKey), undefined, 'publishable key not found', pkOf(alices.agent, MISSING_ID)],
      // API keys and secrets.
      ['DELETE', `/api/v1/api-keys/${bobs.apiKey}`, undefined, 'API key not found', `/api/v1/api-keys/${MISSING_ID}`],
      ['PUT', `/api/v1/secrets/${bobs.secret}`, { value: 'w' }, 'secret not found', `/api/v1/secrets/${MISSING_ID}`],
      ['DELETE', `/api/v1/secrets/${bobs.secret}`, undefined, 'secret not found', `/api/v1/secrets/${MISSING_ID}`],
    ];
    for (const [method, path, body, message, missingPath] of cases) {
      const reply = await alice.request(method, path, body);
      const missing = await alice.request(method, missingPath, body);
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.body.error, `${method} ${path}`).toMatchObject({ code: 'not_found', message });
      expect(Object.keys(reply.body.error).sort(), `${method} ${path}`).toEqual(['code', 'message', 'request_id']);
      expect(missing.body.error.message, `${method} ${missingPath}`).toBe(message);
      for (const revealing of [bobEmail, bobs.agent, bobs.publishableKey, bobs.apiKey, bobs.secret]) {
        expect(reply.text.replace(path, ''), `${method} ${path}`).not.toContain(revealing);
      }
    }
    // Bob's key is untouched.
    const still = await bob.get(pkOf(bobs.agent, bobs.publishableKey));
    expect(still.status).toBe(200);
    expect(still.body.allowed_origins).toEqual(['https://bob.example']);
    expect((await bob.get('/api/v1/api-keys')).body.data.map((key: { id: string }) => key.id)).toContain(bobs.apiKey);
  });
});

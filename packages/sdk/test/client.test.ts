import { describe, expect, test } from 'vitest';
import {
  AbortError,
  AuthenticationError,
  ConnectionError,
  MetisClient,
  MetisError,
  NotFoundError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from '../src/index.ts';
import { fakeFetch, fakeJwt, json } from './support/fakes.ts';

const unexpected = (): never => {
  throw new Error('expected the call to fail');
};

const AGENT = {
  id: '0192a000-0000-7000-8000-000000000001',
  name: 'a',
  description: null,
  config: { tools: ['execute_bash'], secrets: [], warm_pool_size: 1, idle_timeout_seconds: 900 },
  status: 'stopped',
  status_message: null,
  created_at: '2026-11-25T12:00:00.000Z',
  updated_at: '2026-11-25T12:00:00.000Z',
};
const agentN = (n: number) => ({ ...AGENT, id: `0192a000-0000-7000-8000-${String(n).padStart(12, '0')}`, name: `a${n}` });
const error = (code: string, status: number, headers: Record<string, string> = {}) => json({ error: { code, message: code } }, status, headers);

describe('requests', () => {
  test('base URL, /api/v1 prefix, headers, JSON body, query', async () => {
    const { fetch, requests } = fakeFetch(() => json({ data: [], has_more: false, next_after: null }));
    const client = new MetisClient({ baseUrl: 'http://metis.test/', apiKey: 'metis_k', fetch, headers: { 'X-App': 'demo' } });
    await client.agents.list({ limit: 5 });
    await client.conversations.list({ agent_id: AGENT.id });
    expect(requests[0]!.url.toString()).toBe('http://metis.test/api/v1/agents?limit=5');
    expect(requests[1]!.url.searchParams.get('agent_id')).toBe(AGENT.id);
    expect(requests[0]!.headers.get('authorization')).toBe('Bearer metis_k');
    expect(requests[0]!.headers.get('x-app')).toBe('demo');
    const again = new MetisClient({ baseUrl: 'http://metis.test/api/v1', fetch });
    await again.agents.list();
    expect(requests[2]!.url.pathname).toBe('/api/v1/agents');
  });

  test('a POST carries an Idempotency-Key, the same on every retry; GETs carry none', async () => {
    const { fetch, requests } = fakeFetch((_, index) => (index < 2 ? error('internal_error', 503, { 'retry-after': '0' }) : json(AGENT, 201)));
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch, maxRetries: 2 });
    const agent = await client.agents.create({ name: 'a' }, { headers: { 'X-Trace': '1' } });
    expect(agent.id).toBe(AGENT.id);
    const keys = requests.map((request) => request.headers.get('idempotency-key'));
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(requests[2]!.body)).toEqual({ name: 'a' });
    expect(requests[2]!.headers.get('content-type')).toContain('application/json');
    await client.agents.get(AGENT.id);
    expect(requests[3]!.headers.get('idempotency-key')).toBeNull();
  });

  test('429 honours Retry-After; retries stop at maxRetries and throw the class of the last answer', async () => {
    const { fetch, requests } = fakeFetch(() => error('rate_limited', 429, { 'retry-after': '0.2' }));
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch, maxRetries: 1 });
    const started = Date.now();
    await expect(client.agents.get(AGENT.id)).rejects.toBeInstanceOf(RateLimitError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(requests).toHaveLength(2);
  });

  test('429 quota_exceeded is not retried: waiting does not free a quota', async () => {
    const { fetch, requests } = fakeFetch(() => error('quota_exceeded', 429, { 'retry-after': '0' }));
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch, maxRetries: 3 });
    await expect(client.agents.get(AGENT.id)).rejects.toMatchObject({ status: 429, code: 'quota_exceeded' });
    expect(requests).toHaveLength(1);
  });

  test.each([408, 500, 502, 503, 504])('%i is retried', async (status) => {
    const { fetch, requests } = fakeFetch((_, index) => (index === 0 ? error('x', status, { 'retry-after': '0' }) : json(AGENT)));
    await new MetisClient({ baseUrl: 'http://metis.test', fetch }).agents.get(AGENT.id);
    expect(requests).toHaveLength(2);
  });

  test.each([400, 401, 403, 404, 409, 422])('%i is not retried', async (status) => {
    const { fetch, requests } = fakeFetch(() => error('x', status));
    await expect(new MetisClient({ baseUrl: 'http://metis.test', fetch }).agents.get(AGENT.id)).rejects.toBeInstanceOf(MetisError);
    expect(requests).toHaveLength(1);
  });

  test('409 idempotency_key_in_progress is retried after Retry-After', async () => {
    const { fetch, requests } = fakeFetch((_, index) => (index === 0 ? error('idempotency_key_in_progress', 409, { 'retry-after': '0' }) : json(AGENT, 201)));
    await new MetisClient({ baseUrl: 'http://metis.test', fetch }).agents.create({ name: 'a' });
    expect(requests).toHaveLength(2);
  });

  test('connection errors are retried, then ConnectionError; server errors end as ServerError', async () => {
    const failing = fakeFetch(() => {
      throw new TypeError('fetch failed');
    });
    await expect(new MetisClient({ baseUrl: 'http://metis.test', fetch: failing.fetch, maxRetries: 1 }).agents.get(AGENT.id)).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(failing.requests).toHaveLength(2);
    const broken = fakeFetch(() => error('internal_error', 500, { 'retry-after': '0' }));
    await expect(new MetisClient({ baseUrl: 'http://metis.test', fetch: broken.fetch, maxRetries: 0 }).agents.get(AGENT.id)).rejects.toBeInstanceOf(
      ServerError,
    );
  });

  test('timeoutMs gives TimeoutError; an aborted signal gives AbortError', async () => {
    const { fetch } = fakeFetch((_, __, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch, maxRetries: 0 });
    await expect(client.agents.get(AGENT.id, { timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    const pending = client.agents.get(AGENT.id, { signal: controller.signal, timeoutMs: 10_000 });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
  });

  test('an off-schema answer is invalid_response; unknown fields pass through', async () => {
    const { fetch } = fakeFetch((request) =>
      request.url.pathname.endsWith('1')
        ? json({ ...AGENT, status: 42 }, 200, { 'x-request-id': 'rid' })
        : request.url.pathname.endsWith('2')
          ? new Response('<html>', { status: 200 })
          : json({ ...AGENT, future_field: { x: 1 } }),
    );
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch });
    const wrong = await client.agents.get('1').then(unexpected, (caught: unknown) => caught as MetisError);
    expect(wrong).toBeInstanceOf(MetisError);
    expect(wrong).toMatchObject({ code: 'invalid_response', status: 200, requestId: 'rid' });
    expect(wrong.message).toContain('status');
    await expect(client.agents.get('2')).rejects.toMatchObject({ code: 'invalid_response' });
    const agent = await client.agents.get('3');
    expect((agent as any).future_field).toEqual({ x: 1 });
  });

  test('path ids are encoded', async () => {
    const { fetch, requests } = fakeFetch(() => error('not_found', 404));
    await expect(new MetisClient({ baseUrl: 'http://metis.test', fetch }).agents.get('../auth/profile')).rejects.toBeInstanceOf(NotFoundError);
    expect(requests[0]!.url.pathname).toBe('/api/v1/agents/..%2Fauth%2Fprofile');
  });

  test('onRequest sees every attempt', async () => {
    const { fetch } = fakeFetch((_, index) => (index === 0 ? error('x', 503, { 'retry-after': '0' }) : json(AGENT)));
    const seen: string[] = [];
    await new MetisClient({
      baseUrl: 'http://metis.test',
      fetch,
      onRequest: (request) => void seen.push(`${request.method} ${new URL(request.url).pathname}`),
    }).agents.get(AGENT.id);
    expect(seen).toEqual([`GET /api/v1/agents/${AGENT.id}`, `GET /api/v1/agents/${AGENT.id}`]);
  });
});

describe('token providers', () => {
  test('called once while the token is fresh, again when it nears expiry', async () => {
    const { fetch, requests } = fakeFetch(() => json(AGENT));
    let calls = 0;
    const now = Math.floor(Date.now() / 1000);
    const provider = async () => {
      calls += 1;
      return calls === 1 ? fakeJwt({ exp: now + 3600, n: 1 }) : fakeJwt({ exp: now + 10, n: calls });
    };
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch, token: provider });
    await Promise.all([client.agents.get(AGENT.id), client.agents.get(AGENT.id)]);
    await client.agents.get(AGENT.id);
    expect(calls).toBe(1);
    // Force the cached token out by swapping in the short-lived one: every call within 30 s of exp renews it.
    client.setToken(provider);
    await client.agents.get(AGENT.id);
    await client.agents.get(AGENT.id);
    expect(calls).toBe(3);
    expect(requests.at(-1)!.headers.get('authorization')).toBe(`Bearer ${fakeJwt({ exp: now + 10, n: 3 })}`);
  });

  test('a 401 asks the provider once more, then gives up with AuthenticationError', async () => {
    const { fetch, requests } = fakeFetch((request) => (request.headers.get('authorization') === 'Bearer good' ? json(AGENT) : error('unauthorized', 401)));
    const tokens = ['stale', 'good'];
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch, token: () => tokens.shift() ?? 'bad' });
    await client.agents.get(AGENT.id);
    expect(requests.map((request) => request.headers.get('authorization'))).toEqual(['Bearer stale', 'Bearer good']);
    const bad = new MetisClient({ baseUrl: 'http://metis.test', fetch, token: () => 'bad' });
    await expect(bad.agents.get(AGENT.id)).rejects.toBeInstanceOf(AuthenticationError);
    expect(requests).toHaveLength(4);
  });

  test('a static token or API key is not refreshed; apiKey and token together are refused', async () => {
    const { fetch, requests } = fakeFetch(() => error('unauthorized', 401));
    await expect(new MetisClient({ baseUrl: 'http://metis.test', fetch, token: 'static' }).agents.get(AGENT.id)).rejects.toBeInstanceOf(AuthenticationError);
    expect(requests).toHaveLength(1);
    expect(() => new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'a', token: 'b' })).toThrow(TypeError);
  });
});

describe('lists', () => {
  test('await gives the first page; for await walks every page via next_after', async () => {
    const { fetch, requests } = fakeFetch((request) => {
      const after = request.url.searchParams.get('after');
      if (!after) return json({ data: [agentN(1), agentN(2)], has_more: true, next_after: agentN(2).id });
      if (after === agentN(2).id) return json({ data: [agentN(3), agentN(4)], has_more: true, next_after: agentN(4).id });
      return json({ data: [agentN(5)], has_more: false, next_after: null });
    });
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch });
    const list = client.agents.list({ limit: 2 });
    expect(requests).toHaveLength(0); // lazy
    const page = await list;
    expect(page.data.map((agent) => agent.name)).toEqual(['a1', 'a2']);
    expect((await list.firstPage()).has_more).toBe(true);
    expect(requests).toHaveLength(1);
    const names = [];
    for await (const agent of client.agents.list({ limit: 2 })) names.push(agent.name);
    expect(names).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(requests.slice(1).map((request) => request.url.searchParams.get('limit'))).toEqual(['2', '2', '2']);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { MetisClient, MetisError, RateLimitError, ServerError } from '@metisai/sdk';
import { PASSWORD, startStack, uniqueEmail, type Stack } from './support/harness.ts';
import { startFaultProxy } from './support/fault-proxy.ts';

const unexpected = (): never => {
  throw new Error('expected the call to fail');
};

let stack: Stack;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let token: string;
beforeAll(async () => {
  stack = await startStack();
  proxy = await startFaultProxy(stack.url);
  token = (await stack.user('retries')).token.access_token;
});
afterAll(async () => {
  await proxy?.close();
  await stack?.close();
});
beforeEach(() => proxy.reset());

const viaProxy = (options: Partial<ConstructorParameters<typeof MetisClient>[0]> = {}) => new MetisClient({ baseUrl: proxy.url, token, ...options });

describe('retries through a faulty proxy', () => {
  test('a 429 with Retry-After is waited out, then the request goes through', async () => {
    proxy.inject({ method: 'GET', path: /\/settings$/, status: 429, headers: { 'Retry-After': '1' } });
    const started = Date.now();
    const settings = await viaProxy().settings.get();
    expect(settings.llm_model).toBe('scripted');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(proxy.seen.map((request) => request.faulted)).toEqual([true, false]);
  });

  test('503s are retried with backoff up to maxRetries, then ServerError', async () => {
    proxy.inject({ method: 'GET', path: /\/agents/, status: 503, times: 2 });
    expect((await viaProxy({ maxRetries: 2 }).agents.list()).data).toBeDefined();
    expect(proxy.seen).toHaveLength(3);

    proxy.seen.length = 0;
    proxy.inject({ method: 'GET', path: /\/agents/, status: 503, times: 5 });
    await expect(viaProxy({ maxRetries: 1 }).agents.list()).rejects.toBeInstanceOf(ServerError);
    expect(proxy.seen).toHaveLength(2);
  });

  test('a POST whose answer was lost is retried with the same Idempotency-Key and creates one resource', async () => {
    const client = viaProxy();
    const before = (await client.agents.list({ limit: 100 })).data.length;
    proxy.seen.length = 0;
    // The server creates the agent, but the client gets a 503 instead of the 201.
    proxy.inject({ method: 'POST', path: /\/agents$/, status: 503, when: 'after', headers: { 'Retry-After': '0' } });
    const agent = await client.agents.create({ name: 'exactly-once' });
    const posts = proxy.seen.filter((request) => request.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[0]!.headers['idempotency-key']).toBeTruthy();
    expect(posts[1]!.headers['idempotency-key']).toBe(posts[0]!.headers['idempotency-key']);
    const agents = (await client.agents.list({ limit: 100 })).data;
    expect(agents).toHaveLength(before + 1);
    expect(agents.filter((item) => item.name === 'exactly-once').map((item) => item.id)).toEqual([agent.id]);
  });

  test('a 429 that outlasts the retries is a RateLimitError', async () => {
    proxy.inject({ path: /\/auth\/profile$/, status: 429, headers: { 'Retry-After': '0' }, times: 3 });
    const error = await viaProxy({ maxRetries: 2 })
      .auth.profile()
      .then(unexpected, (caught: unknown) => caught as MetisError);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(proxy.seen).toHaveLength(3);
  });

  test('a connection refused is retried, then a ConnectionError', async () => {
    const dead = new MetisClient({ baseUrl: 'http://127.0.0.1:9', token, maxRetries: 1 });
    await expect(dead.auth.profile()).rejects.toMatchObject({ name: 'ConnectionError', code: 'connection_error' });
  });
});

describe('token providers against the server', () => {
  test('the provider is called once while its token works, and again after a 401 (a revoked token)', async () => {
    const email = uniqueEmail('provider');
    await stack.client().auth.register({ email, password: PASSWORD });
    const backend = stack.client();
    const issued: string[] = [];
    // Stands in for an app backend that mints a short-lived token for the browser.
    const provider = async () => {
      const { access_token } = await backend.auth.login({ email, password: PASSWORD });
      issued.push(access_token);
      return access_token;
    };
    const client = new MetisClient({ baseUrl: stack.url, token: provider });
    expect((await client.auth.profile()).email).toBe(email);
    await client.agents.list();
    expect(issued).toHaveLength(1);

    // Revoke the token the client holds, as a logout elsewhere would.
    await new MetisClient({ baseUrl: stack.url, token: issued[0]! }).auth.logout();
    expect((await client.auth.profile()).email).toBe(email);
    expect(issued).toHaveLength(2);
    await client.auth.profile();
    expect(issued).toHaveLength(2);
  });
});

describe('responses the SDK does not expect', () => {
  test('an off-schema answer is a MetisError invalid_response; unknown fields and values pass through', async () => {
    const client = viaProxy();
    const agent = await client.agents.create({ name: 'shape' });
    // A status that is not even a string is off-schema; an unknown status string (a newer server's) is not.
    proxy.inject({ method: 'GET', path: /\/agents\//, status: 200, body: { ...agent, status: 42 }, headers: { 'X-Request-Id': 'rid-1' } });
    const error = await client.agents.get(agent.id).then(unexpected, (caught: unknown) => caught as MetisError);
    expect(error).toBeInstanceOf(MetisError);
    expect(error).toMatchObject({ code: 'invalid_response', status: 200, requestId: 'rid-1' });
    expect(error.message).toMatch(/status/);

    proxy.inject({ method: 'GET', path: /\/agents\//, status: 200, body: { ...agent, status: 'hibernating', added_in_v2: { shiny: true } } });
    expect(await client.agents.get(agent.id)).toMatchObject({ id: agent.id, status: 'hibernating', added_in_v2: { shiny: true } });
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startScriptedLlm, type ScriptedLlm, turns } from '@metisai/scripted-llm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApiServer, type ApiServer } from '../http/api-server.ts';
import { waitForState, eventsOf } from '../runtime/runtime-harness.ts';
import { Http, registerUser } from '../support/http.ts';

/**
 * The egress guard on a server that is not in laptop mode (HOST is not a loopback address): every outbound request it
 * makes for a user is checked when it connects. The scripted LLM listens on 127.0.0.1 and stands for an internal
 * service; names that really resolve to loopback reach it (`localhost`, `[::ffff:127.0.0.1]`), no resolver is stubbed.
 */
const INTERNAL_BODY = 'internal admin console: do not show this';

let llm: ScriptedLlm;
let port: number;
/** An internal service: answers its secret with a 404, and counts who asked. */
let internal: Server;
let internalHits = 0;
beforeAll(async () => {
  llm = await startScriptedLlm({ script: [] });
  port = llm.port;
  internal = createServer((_request, response) => {
    internalHits++;
    response.writeHead(404, { 'content-type': 'text/plain' }).end(INTERNAL_BODY);
  });
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await llm?.close();
  internal?.close();
});

/** A server on 0.0.0.0 (shared, not laptop mode), with a runner and local sandboxes (allowed for the test by name). */
const sharedServer = (env: Record<string, string> = {}) =>
  startApiServer({ withRunner: true, env: { HOST: '0.0.0.0', ALLOW_UNSAFE_LOCAL_SANDBOX: 'true', ...env } });

const llmTest = (user: Http, body: Record<string, unknown>) => user.post('/api/v1/settings/llm-test', { llm_model: 'scripted', ...body });

describe('a shared server refuses internal addresses', () => {
  let server: ApiServer;
  let user: Http;
  beforeAll(async () => {
    server = await sharedServer();
    user = (await registerUser(new Http(server.url.replace('0.0.0.0', '127.0.0.1')), 'egress')).http;
  });
  afterAll(() => server?.close());

  test.each([
    ['localhost', () => `http://localhost:${port}/v1`, 'localhost resolves to 127.0.0.1, which is in the loopback range'],
    ['an IPv4-mapped IPv6 literal', () => `http://[::ffff:127.0.0.1]:${port}/v1`, '::ffff:7f00:1 is in the IPv4-mapped range'],
    ['the metadata address', () => 'http://169.254.169.254/latest/v1', '169.254.169.254 is in the cloud metadata range'],
    ['0.0.0.0', () => `http://0.0.0.0:${port}/v1`, '0.0.0.0 is in the unspecified range'],
  ])('llm-test to %s answers egress_refused naming the field, and nothing reaches the address', async (_what, url, why) => {
    llm.setScript([turns.error(404, INTERNAL_BODY)]);
    const before = llm.requests.length;
    const reply = await llmTest(user, { llm_base_url: url() });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ ok: false, error: { code: 'egress_refused', status: null, field: 'llm_base_url' } });
    expect(reply.body.error.message).toContain(`The server refused to call llm_base_url (${url()})`);
    expect(reply.body.error.message).toContain(why);
    expect(reply.body.error.message).not.toContain(INTERNAL_BODY);
    expect(llm.requests.length).toBe(before);
  });

  test('a literal internal IP is refused when it is saved: settings and agent config, 400 on the field', async () => {
    const settings = await user.put('/api/v1/settings', { llm_base_url: `http://127.0.0.1:${port}/v1` });
    expect(settings.status).toBe(400);
    expect(settings.body.error).toMatchObject({ code: 'egress_refused', details: [{ path: 'llm_base_url' }] });
    const agent = await user.post('/api/v1/agents', { name: 'Internal', config: { llm_base_url: 'http://10.0.0.8/v1' } });
    expect(agent.status).toBe(400);
    expect(agent.body.error).toMatchObject({ code: 'egress_refused', details: [{ path: 'config.llm_base_url' }] });
  });

  test('a run whose llm_base_url resolves to loopback ends egress_refused; the internal body never comes back', async () => {
    llm.setScript([turns.error(404, INTERNAL_BODY)]);
    const before = llm.requests.length;
    expect((await user.put('/api/v1/settings', { llm_model: 'scripted', llm_base_url: `http://localhost:${port}/v1`, llm_api_key: 'sk-x' })).status).toBe(200);
    const agent = (await user.post('/api/v1/agents', { name: 'Runner', config: { warm_pool_size: 0 } })).body;
    expect((await user.post(`/api/v1/agents/${agent.id}/start`)).status).toBe(202);
    await expect.poll(async () => (await user.get(`/api/v1/agents/${agent.id}`)).body.status).toBe('running');
    const conversation = (await user.post('/api/v1/conversations', { agent_id: agent.id })).body;
    expect((await user.post(`/api/v1/conversations/${conversation.id}/messages`, { content: 'hello' })).status).toBe(202);
    const ended = await waitForState(user, conversation.id, ['error', 'idle', 'finished']);
    expect(ended.state).toBe('error');
    const events = await eventsOf(user, conversation.id);
    const error = events.find((event) => event.type === 'error')!;
    expect(error).toMatchObject({ code: 'egress_refused' });
    expect(error.message).toContain(`The server refused to call llm_base_url (http://localhost:${port}/v1)`);
    expect(JSON.stringify(events)).not.toContain(INTERNAL_BODY);
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'error', reason: 'egress_refused' });
    // Refused, not retried: no llm_retry, and nothing reached the address.
    expect(events.filter((event) => event.code === 'llm_retry')).toEqual([]);
    expect(llm.requests.length).toBe(before);
  });
});

describe('what a shared server allows', () => {
  test('EGRESS_ALLOWED_HOSTS by host:port and by CIDR; a redirect from an allowed host is not followed', async () => {
    const byRange = await sharedServer({ EGRESS_ALLOWED_HOSTS: '127.0.0.0/8' });
    try {
      const user = (await registerUser(new Http(byRange.url.replace('0.0.0.0', '127.0.0.1')), 'range')).http;
      llm.setScript([turns.text('ok'), turns.text('ok')]);
      // A range allows its addresses on any port, written as an IP or resolved from a name.
      expect((await llmTest(user, { llm_base_url: `http://127.0.0.1:${port}/v1` })).body).toMatchObject({ ok: true, error: null });
      expect((await llmTest(user, { llm_base_url: `http://localhost:${port}/v1` })).body).toMatchObject({ ok: true, error: null });
    } finally {
      await byRange.close();
    }
    const server = await sharedServer({ EGRESS_ALLOWED_HOSTS: `localhost:${port}` });
    try {
      const user = (await registerUser(new Http(server.url.replace('0.0.0.0', '127.0.0.1')), 'allowed')).http;
      llm.setScript([turns.text('ok')]);
      expect((await llmTest(user, { llm_base_url: `http://localhost:${port}/v1` })).body).toMatchObject({ ok: true, error: null });
      // The port is part of a host:port entry: another port, or the same address by another name, stays refused.
      expect((await llmTest(user, { llm_base_url: `http://localhost:${port + 1}/v1` })).body.error).toMatchObject({ code: 'egress_refused' });
      expect((await llmTest(user, { llm_base_url: `http://[::ffff:127.0.0.1]:${port}/v1` })).body.error).toMatchObject({ code: 'egress_refused' });

      // A 303 to an internal service became a GET there, and its 404 body came back: now the redirect is never followed.
      const adminUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}/admin`;
      llm.setScript([{ wire: { status: 303, headers: { location: adminUrl }, body: 'see other' } }]);
      const hits = internalHits;
      const redirected = await llmTest(user, { llm_base_url: `http://localhost:${port}/v1` });
      expect(redirected.body).toMatchObject({ ok: false, error: { code: 'egress_refused', field: 'llm_base_url' } });
      expect(redirected.body.error.message).toContain(`localhost:${port} answered with a redirect, which this server never follows`);
      expect(redirected.body.error.message).not.toContain(INTERNAL_BODY);
      expect(internalHits).toBe(hits);
    } finally {
      await server.close();
    }
  });

  test("the server's own LLM_BASE_URL is always allowed, even on loopback", async () => {
    const server = await sharedServer({ LLM_BASE_URL: `http://127.0.0.1:${port}/v1`, LLM_MODEL: 'scripted' });
    try {
      const user = (await registerUser(new Http(server.url.replace('0.0.0.0', '127.0.0.1')), 'own')).http;
      llm.setScript([turns.text('ok')]);
      expect((await user.post('/api/v1/settings/llm-test', {})).body).toMatchObject({ ok: true, base_url: `http://127.0.0.1:${port}/v1` });
      // Only that host and port: the same host on another port is the user's choice, and refused.
      expect((await llmTest(user, { llm_base_url: `http://127.0.0.1:${port + 1}/v1` })).body.error).toMatchObject({ code: 'egress_refused' });
    } finally {
      await server.close();
    }
  });

  test('ALLOW_PRIVATE_EGRESS=true opens private addresses, never the metadata address', async () => {
    const server = await sharedServer({ ALLOW_PRIVATE_EGRESS: 'true' });
    try {
      const user = (await registerUser(new Http(server.url.replace('0.0.0.0', '127.0.0.1')), 'private')).http;
      llm.setScript([turns.text('ok')]);
      expect((await llmTest(user, { llm_base_url: `http://localhost:${port}/v1` })).body).toMatchObject({ ok: true });
      expect((await llmTest(user, { llm_base_url: 'http://169.254.169.254/v1' })).body.error).toMatchObject({ code: 'egress_refused' });
    } finally {
      await server.close();
    }
  });
});

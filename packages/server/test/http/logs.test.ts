import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { eventually, Http, uniqueEmail } from '../support/http.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

/** Everything the server logs, at debug level. */
const lines: string[] = [];
let server: ApiServer;
let http: Http;
/** Requests this file made. */
let sent = 0;
beforeAll(async () => {
  server = await startApiServer({ logger: createLogger('debug', { write: (line: string) => void lines.push(line) }) });
  http = new Http(server.url, undefined, () => sent++);
});
afterAll(() => server.close());

test('passwords, tokens, API keys, secret values and LLM keys never reach the log', async () => {
  const email = uniqueEmail('logs');
  const password = 'hunter2-but-longer-7c1e';
  const newPassword = 'another-long-password-90ab';
  const secretValue = 'ghp_value-that-must-not-leak-5d2f';
  const llmKey = 'sk-llm-key-that-must-not-leak-3a9b';
  const failedPassword = 'wrong-password-guess-e41c';

  const registered = await http.post('/api/v1/auth/register', { email, password, name: 'Logged' });
  expect(registered.status).toBe(201);
  const registerToken: string = registered.body.access_token;
  expect((await http.post('/api/v1/auth/login', { email, password: failedPassword })).status).toBe(401);
  const login = await http.post('/api/v1/auth/login', { email, password }, { 'idempotency-key': 'login-once' });
  expect(login.status).toBe(200);
  const token: string = login.body.access_token;
  const user = http.as(token);

  const apiKey: string = (await user.post('/api/v1/api-keys', { name: 'logged', scopes: ['manage'] })).body.key;
  expect(apiKey).toMatch(/^metis_/);
  const viaKey = http.as(apiKey);
  expect((await viaKey.post('/api/v1/secrets', { name: 'LOGGED_SECRET', value: secretValue })).status).toBe(201);
  expect((await viaKey.post('/api/v1/secrets', { name: 'LOGGED_SECRET', value: secretValue })).status).toBe(409);
  expect((await viaKey.post('/api/v1/secrets', { name: 'bad name', value: secretValue })).status).toBe(400);
  expect((await viaKey.put('/api/v1/settings', { llm_api_key: llmKey })).status).toBe(200);
  expect((await viaKey.put('/api/v1/settings', { llm_api_key: llmKey, llm_base_url: 'nope' })).status).toBe(400);
  // A secret in a query string or a malformed body is refused without being logged.
  expect((await user.get(`/api/v1/agents?token=${token}`)).status).toBe(400);
  expect((await user.post('/api/v1/secrets', `{"name":"X","value":"${secretValue}"`)).status).toBe(400);

  // An agent whose start fails logs why (secret names, not values).
  const agent = (await viaKey.post('/api/v1/agents', { name: 'a', config: { secrets: ['LOGGED_SECRET', 'ABSENT'] } })).body;
  await viaKey.post(`/api/v1/agents/${agent.id}/start`);
  await eventually(async () => (await viaKey.get(`/api/v1/agents/${agent.id}`)).body.status === 'error');

  expect((await user.put('/api/v1/auth/password', { current_password: password, new_password: newPassword })).status).toBe(204);
  expect((await http.as(registerToken).get('/api/v1/auth/profile')).status).toBe(401);
  expect((await user.post('/api/v1/auth/logout')).status).toBe(204);
  expect((await user.get('/api/v1/auth/profile')).status).toBe(401);

  const log = lines.join('');
  // The log did capture these requests...
  const requests = lines.map((line) => JSON.parse(line) as { msg: string; path?: string; status?: number; request_id?: string });
  const accessLines = requests.filter((line) => line.msg === 'request');
  expect(accessLines.length).toBe(sent);
  expect(accessLines.every((line) => line.request_id)).toBe(true);
  expect(accessLines.some((line) => line.path === '/api/v1/secrets' && line.status === 201)).toBe(true);
  // A refused request's line names the error body's code (so refusals can be told apart from the log alone).
  const conflicts = accessLines.filter((line) => line.path === '/api/v1/secrets' && line.status === 409);
  expect(conflicts.map((line) => (line as { code?: string }).code)).toEqual(['secret_exists']);
  expect(accessLines.find((line) => line.path === '/api/v1/secrets' && line.status === 201)).not.toHaveProperty('code');
  expect(log).toContain('agent transition failed');
  // ...and nothing that would let a reader of the log in.
  for (const [name, value] of Object.entries({ password, newPassword, failedPassword, secretValue, llmKey, apiKey, token, registerToken })) {
    expect(log.includes(value), `${name} is in the log`).toBe(false);
    // Not even its signature part (tokens) or a long enough piece of it.
    expect(log.includes(value.slice(-16)), `the end of ${name} is in the log`).toBe(false);
  }
});

test('security events are structured lines with a stable security_event, the ids involved and the request id', async () => {
  const mark = lines.length;
  const email = uniqueEmail('audit');
  const password = 'audited-password-2b7d';
  const registered = await http.post('/api/v1/auth/register', { email, password });
  const user = http.as(registered.body.access_token);
  const userId: string = registered.body.user.id;
  expect((await http.post('/api/v1/auth/login', { email, password: 'not-the-password-1' })).status).toBe(401);
  const key = (await user.post('/api/v1/api-keys', { name: 'audited', scopes: ['read'] })).body;
  expect((await http.as(key.key).post('/api/v1/agents', { name: 'refused' })).status).toBe(403);
  expect((await user.delete(`/api/v1/api-keys/${key.id}`)).status).toBe(204);
  expect((await http.as(key.key).get('/api/v1/agents')).status).toBe(401);
  const other = (await http.post('/api/v1/auth/login', { email, password })).body.access_token as string;
  expect((await user.delete('/api/v1/auth/sessions')).status).toBe(204);
  expect((await http.as(other).get('/api/v1/agents')).status).toBe(401);

  const events = lines
    .slice(mark)
    .map((line) => JSON.parse(line) as Record<string, any>)
    .filter((line) => line.security_event);
  const named = (name: string) => events.filter((event) => event.security_event === name);
  expect(named('registered')[0]).toMatchObject({ user_id: userId, request_id: expect.any(String) });
  expect(named('login_failed')[0]).toMatchObject({ user_id: userId, email_tag: expect.stringMatching(/^[0-9a-f]{16}$/), ip: expect.any(String), level: 40 });
  expect(named('api_key_created')[0]).toMatchObject({ user_id: userId, api_key_id: key.id, scopes: ['read'] });
  expect(named('scope_denied')[0]).toMatchObject({ user_id: userId, api_key_id: key.id, required_scope: 'manage' });
  expect(named('api_key_deleted')[0]).toMatchObject({ user_id: userId, api_key_id: key.id });
  expect(named('auth_failed').map((event) => event.credential)).toEqual(['api_key', 'token']);
  expect(named('sessions_revoked')[0]).toMatchObject({ user_id: userId, count: 1 });
  expect(named('login_succeeded')[0]).toMatchObject({ user_id: userId });
  // The address itself is not logged, nor the wrong password.
  const log = lines.slice(mark).join('');
  expect(log).not.toContain(email);
  expect(log).not.toContain('not-the-password-1');
  expect(log).not.toContain(key.key);
});

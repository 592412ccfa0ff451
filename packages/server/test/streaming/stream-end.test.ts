import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deriveKeys } from '../../src/security/keys.ts';
import { eventually, Http, registerUser } from '../support/http.ts';
import { startTestServer, TEST_SECRET_KEY } from '../support/test-server.ts';
import { SseClient } from './sse-client.ts';

/**
 * Open event streams end when their credentials are revoked — in every process, through the control channel — when
 * their token expires, and at SSE_MAX_AGE_SECONDS: a final `stream_end` event, then the connection closes.
 */
type Server = Awaited<ReturnType<typeof startTestServer>>;
let a: Server;
let b: Server;
const open: SseClient[] = [];
beforeAll(async () => {
  const env = { SANDBOX_DRIVER: 'local', QUOTA_STREAMS_PER_USER: '3' };
  a = await startTestServer({ env });
  b = await startTestServer({ env, databaseUrl: a.databaseUrl });
});
afterAll(async () => {
  for (const client of open) client.close();
  await b?.close();
  await a?.close();
});

/** A user on A with a conversation. */
async function setUp(label: string) {
  const user = await registerUser(new Http(a.url), label);
  const conversation = (await user.http.post('/api/v1/conversations', {})).body.id as string;
  return { ...user, conversation };
}

async function stream(server: Server, conversation: string, token: string): Promise<SseClient> {
  const client = await SseClient.open(`${server.url}/api/v1/conversations/${conversation}/events`, { token });
  open.push(client);
  return client;
}

/** The stream received `stream_end` with `code` as its last event, and the server closed it. */
async function endedWith(client: SseClient, code: string) {
  await client.ended;
  const last = client.messages.at(-1)!;
  expect(last.event).toBe('stream_end');
  expect(last.id).toBeUndefined();
  expect(JSON.parse(last.data)).toEqual({ type: 'stream_end', conversation_id: expect.any(String), code, message: expect.any(String) });
}

/** A stream that is still open: the server keeps it (a `: ping` arrives later than the revocation would have ended it). */
const stillOpen = (client: SseClient) => expect(client.isEnded).toBe(false);

describe('revocation ends open streams in every process', () => {
  test('logout through B ends the stream of that session on A; another session keeps its stream', async () => {
    const alice = await setUp('revoke-logout');
    const other = (await new Http(b.url).post('/api/v1/auth/login', { email: alice.email, password: alice.password })).body.access_token;
    const revoked = await stream(a, alice.conversation, alice.token);
    const kept = await stream(a, alice.conversation, other);
    expect(revoked.response.status).toBe(200);
    expect((await new Http(b.url, alice.token).post('/api/v1/auth/logout')).status).toBe(204);
    await endedWith(revoked, 'token_revoked');
    stillOpen(kept);
    kept.close();
  });

  test('a password change ends the streams of the other sessions, not the caller’s', async () => {
    const alice = await setUp('revoke-password');
    const other = (await new Http(a.url).post('/api/v1/auth/login', { email: alice.email, password: alice.password })).body.access_token;
    const callers = await stream(a, alice.conversation, alice.token);
    const others = await stream(a, alice.conversation, other);
    const change = await new Http(b.url, alice.token).put('/api/v1/auth/password', { current_password: alice.password, new_password: 'a new long password' });
    expect(change.status).toBe(204);
    await endedWith(others, 'token_revoked');
    stillOpen(callers);
    callers.close();
  });

  test('deleting a session ends its stream', async () => {
    const alice = await setUp('revoke-session');
    const phone = (await new Http(a.url).post('/api/v1/auth/login', { email: alice.email, password: alice.password })).body.access_token;
    const client = await stream(a, alice.conversation, phone);
    const sessions = (await new Http(b.url, alice.token).get('/api/v1/auth/sessions')).body.data as { id: string; current: boolean }[];
    const phoneSession = sessions.find((session) => !session.current)!;
    expect((await new Http(b.url, alice.token).delete(`/api/v1/auth/sessions/${phoneSession.id}`)).status).toBe(204);
    await endedWith(client, 'token_revoked');
  });

  test('deleting an API key ends the streams it opened', async () => {
    const alice = await setUp('revoke-key');
    const key = (await alice.http.post('/api/v1/api-keys', { name: 'streams', scopes: ['read'] })).body;
    const client = await stream(a, alice.conversation, key.key);
    expect(client.response.status).toBe(200);
    expect((await new Http(b.url, alice.token).delete(`/api/v1/api-keys/${key.id}`)).status).toBe(204);
    await endedWith(client, 'token_revoked');
  });

  test('deleting the account ends all its streams', async () => {
    const alice = await setUp('revoke-account');
    const key = (await alice.http.post('/api/v1/api-keys', { name: 'streams', scopes: ['read'] })).body;
    const byKey = await stream(a, alice.conversation, key.key);
    const bySession = await stream(a, alice.conversation, alice.token);
    expect((await new Http(b.url, alice.token).request('DELETE', '/api/v1/auth/profile', { password: alice.password })).status).toBe(204);
    await endedWith(byKey, 'token_revoked');
    await endedWith(bySession, 'token_revoked');
  });
});

test('a stream ends with token_expired when its access token expires', async () => {
  const alice = await setUp('expiry');
  // The same session, in a token that expires in a second (the server signs 60 s at least).
  const { sub, jti } = jwt.decode(alice.token) as { sub: string; jti: string };
  const shortLived = jwt.sign({}, deriveKeys(TEST_SECRET_KEY).jwtSigning, { algorithm: 'HS256', subject: sub, jwtid: jti, issuer: 'metisai', expiresIn: 1 });
  const started = Date.now();
  const client = await stream(a, alice.conversation, shortLived);
  expect(client.response.status).toBe(200);
  await endedWith(client, 'token_expired');
  expect(Date.now() - started).toBeLessThan(5000);
});

test('a stream ends with stream_max_age after SSE_MAX_AGE_SECONDS', async () => {
  const short = await startTestServer({ env: { SANDBOX_DRIVER: 'local', SSE_MAX_AGE_SECONDS: '0.5' }, databaseUrl: a.databaseUrl });
  try {
    const alice = await setUp('max-age');
    const client = await stream(short, alice.conversation, alice.token);
    await endedWith(client, 'stream_max_age');
  } finally {
    await short.close();
  }
});

test('open streams count against the user’s quota across processes, and free their place when they close', async () => {
  const alice = await setUp('stream-quota');
  const first = await stream(a, alice.conversation, alice.token);
  await stream(b, alice.conversation, alice.token);
  await stream(a, alice.conversation, alice.token);
  const refused = await SseClient.open(`${b.url}/api/v1/conversations/${alice.conversation}/events`, { token: alice.token });
  expect(refused.response.status).toBe(429);
  await refused.ended;
  expect(JSON.parse(refused.text).error).toMatchObject({ code: 'quota_exceeded', quota: 'streams', limit: 3, current: 3 });
  // Another user is not affected.
  const bob = await setUp('stream-quota-bob');
  expect((await stream(b, bob.conversation, bob.token)).response.status).toBe(200);
  first.close();
  await eventually(async () => {
    const again = await SseClient.open(`${b.url}/api/v1/conversations/${alice.conversation}/events`, { token: alice.token });
    open.push(again);
    return again.response.status === 200;
  });
});

import { afterAll, beforeAll, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { Http, registerUser } from '../support/http.ts';
import { SseClient } from '../streaming/sse-client.ts';
import { eventsOf, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { newConversation } from './e2e-helpers.ts';

let rt: Runtime;
beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(() => rt?.close());

test("another user's conversation is 404 on every conversation route, the SSE stream, stop and confirm included", async () => {
  await rt.http.put('/api/v1/settings', { confirmation_mode: true });
  rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo pending' }), turns.toolCall('finish', { message: 'ok' })]);
  const id = await newConversation(rt.http, { title: 'private' });
  await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'go' });
  await waitForState(rt.http, id, ['awaiting_confirmation']);
  const before = await eventsOf(rt.http, id);

  const mallory = await registerUser(new Http(rt.server.url), 'mallory');
  const base = `/api/v1/conversations/${id}`;
  const replies = {
    'GET conversation': await mallory.http.get(base),
    'PUT conversation': await mallory.http.put(base, { title: 'mine now' }),
    'GET messages': await mallory.http.get(`${base}/messages`),
    'POST messages': await mallory.http.post(`${base}/messages`, { content: 'hijack' }),
    'GET events': await mallory.http.get(`${base}/events`),
    'POST stop': await mallory.http.post(`${base}/stop`),
    'POST confirm': await mallory.http.post(`${base}/confirm`, { approve: true }),
    'DELETE conversation': await mallory.http.delete(base),
  };
  for (const [route, reply] of Object.entries(replies)) {
    expect({ route, status: reply.status, code: reply.body?.error?.code }).toEqual({ route, status: 404, code: 'not_found' });
  }
  const stream = await SseClient.open(`${rt.server.url}${base}/events`, { token: mallory.token });
  await stream.ended;
  expect(stream.response.status).toBe(404);
  expect(stream.response.headers.get('content-type')).toContain('application/json');
  expect(JSON.parse(stream.text).error.code).toBe('not_found');
  // Nothing changed for the owner: the run still waits for their decision.
  const conversation = await rt.http.get(base);
  expect(conversation.body).toMatchObject({ title: 'private', state: 'awaiting_confirmation' });
  expect(await eventsOf(rt.http, id)).toEqual(before);
  // A 404 is indistinguishable from a missing conversation's.
  const missing = await mallory.http.get('/api/v1/conversations/0192f000-0000-7000-8000-000000000000');
  expect(missing.status).toBe(404);
  expect(missing.body.error.message).toBe(replies['GET conversation'].body.error.message);

  expect((await rt.http.post(`${base}/confirm`, { approve: true })).status).toBe(202);
  expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
  await rt.http.put('/api/v1/settings', { confirmation_mode: false });
});

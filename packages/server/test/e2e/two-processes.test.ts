import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { Http } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
import { eventsOf, startRuntime, waitForState, type Runtime, type Server } from '../runtime/runtime-harness.ts';
import { isFinalState, newConversation, Streams, waitForEvent } from './e2e-helpers.ts';

/** Server A (runtime's) and server B: two processes' worth of runtime on one database. */
let rt: Runtime;
let serverB: Server;
let onB: Http;
const streams = new Streams();
beforeAll(async () => {
  rt = await startRuntime();
  serverB = await startTestServer({ databaseUrl: rt.server.databaseUrl, env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: rt.dataDir } });
  onB = new Http(serverB.url, rt.user.token);
});
afterAll(async () => {
  streams.closeAll();
  await serverB?.close();
  await rt?.close();
});

describe('two server processes on one database', () => {
  test('a run started through A is seen live, deltas included, by an SSE client on B', async () => {
    const reply = 'The answer, streamed in many small pieces, is forty-two.';
    rt.llm.setScript([turns.toolCall('think', { thought: 'easy' }), { content: reply, chunkDelayMs: 5 }]);
    const id = await newConversation(rt.http);
    const client = await streams.open(serverB.url, id, rt.user.token);
    expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'what is the answer?' })).status).toBe(202);
    await client.until((c) => c.stored.some(isFinalState), 15_000);
    expect(client.stored.at(-1)).toMatchObject({ type: 'state', state: 'idle', reason: 'awaiting_user' });
    // What B streamed live is exactly the stored log, in order.
    expect(client.stored).toEqual(await eventsOf(rt.http, id));
    const assistant = client.stored.find((event) => event.type === 'message' && event.role === 'assistant')!;
    const deltas = client.deltas.filter((delta) => delta.message_id === assistant.id);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.map((delta) => delta.content).join('')).toBe(reply);
    // Each delta arrived before the message it builds.
    const messageAt = client.messages.findIndex((message) => message.id === String(assistant.seq));
    expect(client.messages.findIndex((message) => message.event === 'delta')).toBeLessThan(messageAt);
  });

  test("a command's output running on A streams live to B, before its observation", async () => {
    rt.llm.setScript([
      turns.toolCall('execute_bash', { command: 'for i in 1 2 3; do echo line-$i; sleep 0.3; done' }),
      turns.toolCall('finish', { message: 'done' }),
    ]);
    const id = await newConversation(rt.http);
    const client = await streams.open(serverB.url, id, rt.user.token);
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'count' });
    const output = () => client.messages.filter((message) => message.event === 'output').map((message) => JSON.parse(message.data));
    await client.until(() => output().some((event) => event.content.includes('line-1')), 10_000);
    expect(client.stored.some((event) => event.type === 'observation')).toBe(false);
    await client.until((c) => c.stored.some(isFinalState), 10_000);
    const action = client.stored.find((event) => event.type === 'action')!;
    expect(output().every((event) => event.tool_call_id === action.tool_call_id)).toBe(true);
    expect(
      output()
        .map((event) => event.content)
        .join(''),
    ).toMatch(/line-1[\s\S]*line-2[\s\S]*line-3/);
    expect(client.stored.at(-1)).toMatchObject({ type: 'state', state: 'finished' });
  });

  test('POST /stop sent to B stops `sleep 100` running on A within 2 s', async () => {
    rt.llm.setScript([turns.toolCall('execute_bash', { command: 'sleep 100' }), turns.text('unused')]);
    const id = await newConversation(rt.http);
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'sleep' });
    await waitForEvent(rt.http, id, (event) => event.type === 'action');
    const started = Date.now();
    expect((await onB.post(`/api/v1/conversations/${id}/stop`)).status).toBe(202);
    expect((await waitForState(onB, id, ['stopped', 'error', 'idle', 'finished'], 10_000)).state).toBe('stopped');
    expect(Date.now() - started).toBeLessThan(2000);
    const events = await eventsOf(onB, id);
    expect(events.find((event) => event.type === 'observation')).toMatchObject({ exit_code: 130 });
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'stopped', reason: 'user_stop' });
  });

  test('a run paused for confirmation by A is approved through B, which runs the rest of it', async () => {
    await rt.http.put('/api/v1/settings', { confirmation_mode: true });
    try {
      rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo approved-on-B' }), turns.toolCall('finish', { message: 'ok' })]);
      const id = await newConversation(rt.http);
      const watcher = await streams.open(rt.server.url, id, rt.user.token);
      await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'go' });
      await waitForState(rt.http, id, ['awaiting_confirmation']);
      expect((await onB.post(`/api/v1/conversations/${id}/confirm`, { approve: true })).status).toBe(202);
      expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
      const events = await eventsOf(onB, id);
      expect(events.find((event) => event.type === 'observation')!.content).toContain('approved-on-B');
      // A's client saw B's part of the run live.
      await watcher.until((c) => c.stored.length === events.length);
      expect(watcher.stored).toEqual(events);
    } finally {
      await rt.http.put('/api/v1/settings', { confirmation_mode: false });
    }
  });

  test('a message posted to B while A runs the conversation is 409 conversation_busy', async () => {
    rt.llm.setScript([turns.hang()]);
    const id = await newConversation(rt.http);
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'think forever' });
    await waitForState(rt.http, id, ['running']);
    const busy = await onB.post(`/api/v1/conversations/${id}/messages`, { content: 'hello from B' });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('conversation_busy');
    // Nothing was stored for the refused message.
    expect((await eventsOf(rt.http, id)).filter((event) => event.type === 'message')).toHaveLength(1);
    expect((await onB.post(`/api/v1/conversations/${id}/stop`)).status).toBe(202);
    expect((await waitForState(rt.http, id, ['stopped', 'error'], 10_000)).state).toBe('stopped');
  });
});

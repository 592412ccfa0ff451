import { describe, expect, test } from 'vitest';
import { eventsOf } from '../runtime/runtime-harness.ts';
import { newConversation } from '../e2e/e2e-helpers.ts';
import { useProviderRuntime } from './provider-harness.ts';

/**
 * Kind 5: stop while the model is streaming ends the run `stopped` / `user_stop` at once, and the half-written text
 * is kept as what it is: an assistant message with `finish_reason: user_stop`, not a finished answer.
 */
const env = useProviderRuntime();

describe('stop while the model env.streams', () => {
  test('the state: stopped event reaches the stream within 1 s of the stop response; the partial text is kept as user_stop', async () => {
    const words = ['I ', 'will ', 'now ', 'explain ', 'at ', 'great ', 'length ', 'why ', 'this ', 'takes ', 'so ', 'long '];
    env.rt.llm.setScript([
      {
        wire: {
          chunkDelayMs: 150,
          events: [
            { data: { id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] } },
            ...words.map((word) => ({
              data: { id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: word }, finish_reason: null }] },
            })),
            { stall: true as const },
          ],
        },
      },
    ]);
    const id = await newConversation(env.rt.http);
    const sse = await env.streams.open(env.rt.server.url, id, env.rt.user.token);
    expect((await env.rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'Explain.' })).status).toBe(202);
    await sse.until((client) => client.deltas.length >= 3, 10_000);
    const stop = await env.rt.http.post(`/api/v1/conversations/${id}/stop`);
    const stoppedAfter = Date.now();
    expect(stop.status).toBe(202);
    await sse.until((client) => client.stored.some((event) => event.type === 'state' && event.state !== 'running'), 5000);
    expect(Date.now() - stoppedAfter).toBeLessThanOrEqual(1000);

    const events = await eventsOf(env.rt.http, id);
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'stopped', reason: 'user_stop' });
    const message = events.find((event) => event.type === 'message' && event.role === 'assistant')!;
    expect(message.finish_reason).toBe('user_stop');
    // What was kept is what had streamed: the deltas of that message, nothing more, and not the whole reply.
    const streamed = sse.deltas
      .filter((delta) => delta.message_id === message.id)
      .map((delta) => delta.content)
      .join('');
    expect(message.content).toBe(streamed);
    expect(message.content.length).toBeGreaterThan(0);
    expect(message.content).not.toBe(words.join(''));
    expect(events.filter((event) => event.type === 'error')).toEqual([]);
  });
});

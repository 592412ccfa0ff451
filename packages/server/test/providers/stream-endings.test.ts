import { describe, expect, test } from 'vitest';
import { converse, errorCodesIn, observationsIn, playFixture, useProviderRuntime } from './provider-harness.ts';

/**
 * Kind 3: how a stream ended is checked. `length` is told apart from bad JSON and from a finished answer; a stream
 * that closes early, a reset socket and an error object inside a 200 stream are transport failures, retried and never
 * stored as the model's reply.
 */
const env = useProviderRuntime();

describe('how a stream ended', () => {
  test('openai/length-cut-tool-arguments: the model is told its output hit the token limit, and the run goes on', async () => {
    playFixture(env.rt, 'openai', 'length-cut-tool-arguments');
    const seen = await converse(env.rt, env.streams);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    const [cut, ok] = observationsIn(seen);
    expect(cut).toMatch(/output token limit \(finish_reason: length\)/);
    expect(cut).not.toMatch(/not a valid JSON/);
    expect(ok).toMatch(/^conformance-ok\n/);
    // The cut call never ran, and the model saw why as its result.
    const next = env.rt.llm.requests.at(-2)!.body;
    expect(next.messages.find((message) => message.role === 'tool')!.content).toMatch(/token limit/);
  });

  test('openai/length-cut-text: a text reply cut by the limit is stored with that reason and waits for the user', async () => {
    playFixture(env.rt, 'openai', 'length-cut-text');
    const seen = await converse(env.rt, env.streams);
    expect(seen).toMatchObject({ state: 'idle', reason: 'awaiting_user' });
    const message = seen.events.findLast((event) => event.type === 'message' && event.role === 'assistant')!;
    expect(message).toMatchObject({ finish_reason: 'length', content: 'Here is the long explanation you asked for: first, the server reads ' });
  });

  test.each([
    ['ollama', 'stream-closed-mid-reply', /closed before the reply was complete/],
    ['vllm', 'socket-reset', /connection broke mid-stream/],
    ['openrouter', 'error-in-stream', /\(502\): Provider disconnected unexpectedly/],
  ])('%s/%s: a transport failure is retried, never stored as the reply', async (provider, name, message) => {
    playFixture(env.rt, provider, name);
    const seen = await converse(env.rt, env.streams);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    expect(errorCodesIn(seen)).toEqual(['llm_retry']);
    expect(seen.events.find((event) => event.type === 'error')!.message).toMatch(message);
    // The half reply is nowhere in the log: only the retried reply's calls and the finish message.
    const assistant = seen.events.filter((event) => event.type === 'message' && event.role === 'assistant');
    expect(assistant.map((event) => event.content)).toEqual(['conformance finished']);
    expect(observationsIn(seen)[0]).toMatch(/^conformance-ok\n/);
  });
});

import { afterEach, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { startHarness, type Harness } from './agent-harness.ts';

let h: Harness;
afterEach(() => h?.close());

describe('LLM faults', () => {
  test('401: an llm_auth error naming the provider complaint, no retry', async () => {
    h = await startHarness(() => [turns.text('never')], { apiKey: 'sk-right-key' });
    h.emitter.user('hi');
    const result = await h.run({ llm: { model: 'm', baseURL: h.llm.url, apiKey: 'sk-wrong-key-123' } });
    expect(result).toMatchObject({ state: 'error', reason: 'llm_auth' });
    expect(h.emitter.types()).toEqual(['message:user', 'state:running', 'error', 'state:error']);
    expect(h.emitter.last('error')).toMatchObject({ code: 'llm_auth' });
    expect(h.emitter.last('error').message).toContain('Incorrect API key provided');
    expect(h.emitter.last('state')).toMatchObject({ reason: 'llm_auth' });
  });

  test('429 with Retry-After, then 503, then success: each retry is visible and Retry-After is honoured', async () => {
    h = await startHarness(() => [turns.error(429, 'slow down', { retryAfterSeconds: 0.3 }), turns.error(503, 'overloaded'), turns.text('Hello there!')]);
    h.emitter.user('hi');
    const startedAt = Date.now();
    const result = await h.run();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(300);
    expect(result).toMatchObject({ state: 'idle', reason: 'awaiting_user' });
    expect(h.emitter.types()).toEqual(['message:user', 'state:running', 'error', 'error', 'message:assistant', 'state:idle']);
    const [rateLimited, overloaded] = h.emitter.all('error');
    expect(rateLimited).toMatchObject({ code: 'llm_retry' });
    expect(rateLimited!.message).toMatch(/429.*slow down.*retry 1 of 3 in 0\.3 s/);
    expect(overloaded!.message).toMatch(/503.*overloaded.*retry 2 of 3/);
    expect(h.llm.requests).toHaveLength(3);
    expect(h.emitter.last('message').id).toBe(h.emitter.deltas.at(-1)!.message_id);
  });

  test('retries run out: llm_error', async () => {
    h = await startHarness(() => [turns.error(500, 'boom'), turns.error(500, 'boom again')]);
    h.emitter.user('hi');
    const result = await h.run({ llm: { model: 'm', baseURL: h.llm.url, apiKey: 'k', maxRetries: 1, retryBaseDelayMs: 1 } });
    expect(result).toMatchObject({ state: 'error', reason: 'llm_error' });
    expect(h.emitter.all('error').map((e) => e.code)).toEqual(['llm_retry', 'llm_error']);
    expect(h.emitter.last('error').message).toMatch(/500.*boom again.*after 1 retries/);
  });

  test('context_length_exceeded: older tool outputs are condensed and the request is retried once', async () => {
    h = await startHarness(() => [
      turns.toolCall('execute_bash', { command: 'echo output-one' }),
      turns.toolCall('execute_bash', { command: 'echo output-two' }),
      turns.toolCall('execute_bash', { command: 'echo output-three' }),
      turns.contextLengthExceeded(100),
      turns.toolCall('finish', { message: 'done' }),
    ]);
    h.emitter.user('first task message');
    const result = await h.run();
    expect(result.state).toBe('finished');
    expect(h.emitter.all('error').map((e) => e.code)).toEqual(['llm_context_condensed']);
    const retried = h.llm.requests[4]!.body.messages;
    expect(retried[1]).toMatchObject({ role: 'user', content: 'first task message' });
    const tools = retried.filter((m) => m.role === 'tool').map((m) => m.content as string);
    expect(tools[0]).toBe('[output condensed]');
    expect(tools[1]).toContain('output-two');
    expect(tools[2]).toContain('output-three');
  });

  test('context still too long after condensing: llm_context_length', async () => {
    h = await startHarness(() => [
      turns.toolCall('execute_bash', { command: 'echo a' }),
      turns.toolCall('execute_bash', { command: 'echo b' }),
      turns.toolCall('execute_bash', { command: 'echo c' }),
      turns.contextLengthExceeded(100),
      turns.contextLengthExceeded(100),
    ]);
    h.emitter.user('go');
    const result = await h.run();
    expect(result).toMatchObject({ state: 'error', reason: 'llm_context_length' });
    expect(h.emitter.all('error').map((e) => e.code)).toEqual(['llm_context_condensed', 'llm_context_length']);
    expect(h.llm.requests).toHaveLength(5);
  });
});

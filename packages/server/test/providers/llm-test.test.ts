import { describe, expect, test } from 'vitest';
import { playFixture, useProviderRuntime } from './provider-harness.ts';

/** Kind 10: llm-test works for every model a run works for (no `max_tokens`), and reports the same classified errors. */
const env = useProviderRuntime();

describe('llm-test', () => {
  test('openai/reasoning-model-refuses-max-tokens: a reasoning model that refuses max_tokens tests ok', async () => {
    playFixture(env.rt, 'openai', 'reasoning-model-refuses-max-tokens');
    const reply = await env.rt.http.post('/api/v1/settings/llm-test', {});
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ ok: true, error: null });
    expect(env.rt.llm.requests.at(-1)!.body).toMatchObject({ stream: true });
    expect(env.rt.llm.requests.at(-1)!.body.max_tokens).toBeUndefined();
  });

  test.each([
    ['vllm', 'model-not-found', { status: 404, code: 'llm_model_not_found', message: 'LLM request failed (404): The model `gpt-4o` does not exist.' }],
    ['llama-cpp', 'context-size-error', { status: 400, code: 'llm_context_length' }],
    ['other', 'nginx-502-html', { status: 502, code: 'llm_error', message: 'LLM request failed (502): an HTML page titled "502 Bad Gateway"' }],
    ['openrouter', 'error-in-stream', { status: 502, code: 'llm_error' }],
  ])('%s/%s: the same classified error a run reports', async (provider, name, error) => {
    const fixture = playFixture(env.rt, provider, name);
    // Context-length fixtures fail on their fourth turn: play that one.
    env.rt.llm.setScript(fixture.turns.filter((turn) => 'wire' in turn));
    const reply = await env.rt.http.post('/api/v1/settings/llm-test', {});
    expect(reply.status).toBe(200);
    expect(reply.body.ok).toBe(false);
    expect(reply.body.error).toMatchObject(error);
    expect(reply.body.error.message).not.toMatch(/undefined/);
  });
});

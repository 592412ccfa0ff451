import { describe, expect, test } from 'vitest';
import { agentWith, converse, errorCodesIn, observationsIn, playFixture, useProviderRuntime } from './provider-harness.ts';

/**
 * Kind 4: deadlines. Keep-alive comments count as life (OpenRouter's `: OPENROUTER PROCESSING`); a stream that goes
 * silent ends at the idle deadline and one that never ends at the whole-call deadline, both as `llm_timeout`, retried
 * like other transient failures. No run stays `running` because a provider hung. The server-wide defaults come from
 * `LLM_IDLE_TIMEOUT_SECONDS` / `LLM_TIMEOUT_SECONDS`, here set short for the whole server.
 */
const env = useProviderRuntime({ env: { LLM_IDLE_TIMEOUT_SECONDS: '0.8', LLM_TIMEOUT_SECONDS: '30' } });

describe('LLM deadlines', () => {
  test('openrouter/processing-comments: 1.2 s of keep-alive comments under a 0.8 s idle deadline is not silence', async () => {
    playFixture(env.rt, 'openrouter', 'processing-comments');
    const seen = await converse(env.rt, env.streams);
    expect(errorCodesIn(seen)).toEqual([]);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    expect(observationsIn(seen)[0]).toMatch(/^conformance-ok\n/);
  });

  test('vllm/stalled-stream: a stream gone silent ends at the idle deadline (server env), is retried, and the run finishes', async () => {
    playFixture(env.rt, 'vllm', 'stalled-stream');
    const seen = await converse(env.rt, env.streams, { timeoutMs: 15_000 });
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    expect(errorCodesIn(seen)).toEqual(['llm_retry']);
    expect(seen.events.find((event) => event.type === 'error')!.message).toMatch(/sent nothing for 0\.8 s \(llm_idle_timeout_seconds\)/);
    // The client went away from the stalled stream: the provider saw the request aborted.
    expect(env.rt.llm.requests.at(-3)!.aborted).toBe(true);
  });

  test("openrouter/endless-processing: comments forever end at the agent's whole-call deadline", async () => {
    const agentId = await agentWith(env.rt, 'deadline', { llm_timeout_seconds: 1.5, llm_idle_timeout_seconds: 60 });
    playFixture(env.rt, 'openrouter', 'endless-processing');
    const seen = await converse(env.rt, env.streams, { agentId, timeoutMs: 15_000 });
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    expect(errorCodesIn(seen)).toEqual(['llm_retry']);
    expect(seen.events.find((event) => event.type === 'error')!.message).toMatch(/took longer than 1\.5 s \(llm_timeout_seconds\)/);
  });

  test("a provider that hangs for good ends the run in error llm_timeout after the retries, using the user's setting", async () => {
    expect((await env.rt.http.put('/api/v1/settings', { llm_idle_timeout_seconds: 0.3 })).body).toMatchObject({ llm_idle_timeout_seconds: 0.3 });
    const agentId = await agentWith(env.rt, 'hangs', {});
    env.rt.llm.setScript(() => ({ wire: { events: [{ data: { choices: [{ index: 0, delta: { role: 'assistant' } }] } }, { stall: true }] } }));
    const seen = await converse(env.rt, env.streams, { agentId, timeoutMs: 20_000 });
    expect(seen).toMatchObject({ state: 'error', reason: 'llm_timeout' });
    expect(errorCodesIn(seen)).toEqual(['llm_retry', 'llm_retry', 'llm_retry', 'llm_timeout']);
    expect((await env.rt.http.put('/api/v1/settings', { llm_idle_timeout_seconds: null })).body.llm_idle_timeout_seconds).toBeNull();
  });
});

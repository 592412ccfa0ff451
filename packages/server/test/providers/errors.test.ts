import { describe, expect, test } from 'vitest';
import { converse, errorCodesIn, playFixture, useProviderRuntime } from './provider-harness.ts';

/**
 * Kind 8: errors read well whoever sent them. Context-length errors in other servers' wordings condense like
 * OpenAI's; a non-JSON page is summarised by status and title; no message says `undefined` or repeats the status.
 */
const env = useProviderRuntime();

describe('provider errors', () => {
  test.each([
    ['llama-cpp', 'context-size-error', 'LLM request failed (400): request (4390 tokens) exceeds the available context size (4096 tokens), try increasing it'],
    ['vllm', 'context-length-error', 'LLM request failed (400): The prompt (total length 25938) is too long to fit into the model (context length 4096).'],
    ['ollama', 'context-length-error', 'LLM request failed (500): input exceeds context length'],
    ['litellm', 'anthropic-prompt-too-long', 'LLM request failed (400): litellm.BadRequestError: AnthropicException'],
  ])('%s/%s: condensed like OpenAI context_length_exceeded, then the run finishes', async (provider, name, message) => {
    playFixture(env.rt, provider, name);
    const seen = await converse(env.rt, env.streams);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    expect(errorCodesIn(seen)).toEqual(['llm_context_condensed']);
    const error = seen.events.find((event) => event.type === 'error')!.message as string;
    expect(error.startsWith(message)).toBe(true);
    expect(error).not.toMatch(/undefined|\(400 400\)|\(500 500\)/);
    // The retried request had the older outputs condensed.
    expect(
      env.rt.llm.requests
        .at(-1)!
        .body.messages.filter((m) => m.role === 'tool')
        .map((m) => m.content),
    ).toContain('[output condensed]');
  });

  test('other/nginx-502-html: the page is summarised by status and title, retried, never embedded', async () => {
    playFixture(env.rt, 'other', 'nginx-502-html');
    const seen = await converse(env.rt, env.streams);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    const error = seen.events.find((event) => event.type === 'error')!;
    expect(error.code).toBe('llm_retry');
    expect(error.message).toMatch(/^LLM request failed \(502\): an HTML page titled "502 Bad Gateway"; retry 1 of 3 in 1\.0 s\.$/);
  });

  test('a long JSON error message is capped, and the API key is masked out of it', async () => {
    env.rt.llm.setScript([
      { wire: { status: 400, body: { error: { message: `bad key sk-test rejected ${'x'.repeat(2000)}`, type: 'invalid_request_error' } } } },
    ]);
    const seen = await converse(env.rt, env.streams);
    expect(seen).toMatchObject({ state: 'error', reason: 'llm_error' });
    const error = seen.events.find((event) => event.type === 'error')!.message as string;
    expect(error).toMatch(/^LLM request failed \(400\): bad key <secret_hidden> rejected x+…$/);
    expect(error.length).toBeLessThan(600);
  });
});

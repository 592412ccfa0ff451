import { describe, expect, test } from 'vitest';
import { agentWith, converse, errorCodesIn, observationsIn, playFixture, useProviderRuntime } from './provider-harness.ts';

/**
 * Kind 6: reasoning models. Reasoning is kept apart from the answer: streamed as `reasoning_delta`, stored on the
 * assistant turn it belongs to (tool-call-only turns too), sent back in the field it came in on tool-call turns
 * (DeepSeek refuses the history otherwise: the scripted server enforces it), with opaque fields round-tripped
 * (OpenRouter's `reasoning_details`, Gemini's thought signatures, checked in tool-call-streams), `<think>` tags split
 * across chunks held back until whole, and secrets masked in reasoning like everywhere else.
 */
const env = useProviderRuntime();

const assistantMessages = (events: Array<Record<string, any>>) => events.filter((event) => event.type === 'message' && event.role === 'assistant');

describe('reasoning models', () => {
  test('deepseek/reasoning-tool-calls: reasoning_content is stored with the tool-call turn and echoed back (DeepSeek 400s otherwise)', async () => {
    playFixture(env.rt, 'deepseek', 'reasoning-tool-calls');
    const seen = await converse(env.rt, env.streams);
    expect(errorCodesIn(seen)).toEqual([]);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    const [first] = assistantMessages(seen.events);
    expect(first).toMatchObject({
      content: '',
      reasoning_content: 'The user wants one command run; I will call execute_bash.',
      reasoning_field: 'reasoning_content',
      finish_reason: 'tool_calls',
    });
    // Streamed as its own ephemeral type, never as answer deltas.
    const reasoning = seen.live.filter((event) => event.type === 'reasoning_delta' && event.message_id === first!.id);
    expect(reasoning.map((event) => event.content).join('')).toBe(first!.reasoning_content);
    expect(seen.live.filter((event) => event.type === 'delta' && event.message_id === first!.id)).toEqual([]);
    expect(observationsIn(seen)[0]).toMatch(/^conformance-ok\n/);
  });

  test('vllm/reasoning-field: reasoning that came as `reasoning` goes back as `reasoning`', async () => {
    playFixture(env.rt, 'vllm', 'reasoning-field');
    const seen = await converse(env.rt, env.streams);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    expect(assistantMessages(seen.events)[0]).toMatchObject({
      reasoning_content: 'I should run the command the user asked for.',
      reasoning_field: 'reasoning',
    });
    const echoed = env.rt.llm.requests.at(-1)!.body.messages.find((message) => message.role === 'assistant' && message.tool_calls)!;
    expect(echoed.reasoning).toBe('I should run the command the user asked for.');
    expect(echoed.reasoning_content).toBeUndefined();
  });

  test('openrouter/reasoning-details: reasoning_details come back merged, signature included, on the tool-call turn', async () => {
    playFixture(env.rt, 'openrouter', 'reasoning-details');
    const seen = await converse(env.rt, env.streams);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    const echoed = env.rt.llm.requests.at(-1)!.body.messages.find((message) => message.role === 'assistant' && message.tool_calls)!;
    expect(echoed.reasoning).toBe('The user wants me to run one command and report.');
    expect(echoed.reasoning_details).toEqual([
      {
        type: 'reasoning.text',
        text: 'The user wants me to run one command and report.',
        signature: 'EqQBCkYIBxgCKkDxN3fLr0sig1',
        format: 'anthropic-claude-v1',
        index: 0,
      },
    ]);
  });

  test('llama-cpp/think-tags: <think> split across chunks never reaches the answer; a secret in it is masked', async () => {
    expect((await env.rt.http.post('/api/v1/secrets', { name: 'WANTS', value: 'The user wants' })).status).toBe(201);
    const agentId = await agentWith(env.rt, 'thinker', { secrets: ['WANTS'] });
    playFixture(env.rt, 'llama-cpp', 'think-tags');
    const seen = await converse(env.rt, env.streams, { agentId });
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    const [first] = assistantMessages(seen.events);
    expect(first).toMatchObject({ content: 'Running it now.', reasoning_field: 'think_tag', reasoning_content: '\n<secret_hidden> one command.' });
    const answer = seen.live
      .filter((event) => event.type === 'delta')
      .map((event) => event.content)
      .join('');
    expect(answer).not.toMatch(/think|<|>/);
    const reasoning = seen.live
      .filter((event) => event.type === 'reasoning_delta')
      .map((event) => event.content)
      .join('');
    expect(reasoning).toContain('<secret_hidden> one command.');
    expect(reasoning).not.toContain('The user wants');
    // Sent back inside the content, as it came, on the tool-call turn.
    const echoed = env.rt.llm.requests.at(-1)!.body.messages.find((message) => message.role === 'assistant' && message.tool_calls)!;
    expect(echoed.content).toBe('<think>\n<secret_hidden> one command.</think>\nRunning it now.');
  });
});

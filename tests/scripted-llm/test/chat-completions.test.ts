import { describe, expect, test } from 'vitest';
import { countTokens, turns } from '@metisai/scripted-llm';
import { startWithClient } from './start-with-client.ts';

const user = (content: string) => [{ role: 'user' as const, content }];

describe('chat completions', () => {
  test('answers a non-streaming request with a chat.completion', async () => {
    const { client } = await startWithClient([turns.text('Hello there!')]);
    const completion = await client.chat.completions.create({ model: 'gpt-test', messages: user('hi') });

    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-test');
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Hello there!' });
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    // 3 priming + 4 per message + ceil(2 / 4); completion ceil(12 / 4)
    expect(completion.usage).toMatchObject({ prompt_tokens: 8, completion_tokens: 3, total_tokens: 11 });
  });

  test('streams text in several deltas that reassemble', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.\nTwice.';
    const { client } = await startWithClient([turns.text(text)]);
    const stream = await client.chat.completions.create({ model: 'gpt-test', messages: user('go'), stream: true });

    const deltas: string[] = [];
    const finishReasons: (string | null)[] = [];
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk).not.toHaveProperty('usage');
      const choice = chunk.choices[0];
      if (choice?.delta.content) deltas.push(choice.delta.content);
      finishReasons.push(choice?.finish_reason ?? null);
    }
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(text);
    expect(finishReasons.at(-1)).toBe('stop');
    expect(finishReasons.slice(0, -1).every((reason) => reason === null)).toBe(true);
  });

  test('sends usage in a last chunk without choices when stream_options.include_usage is set', async () => {
    const { client } = await startWithClient([turns.text('four score'), turns.text('x', { usage: { promptTokens: 1000 } })]);
    const chunks = [];
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: user('count me'),
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) chunks.push(chunk);

    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 3 + 4 + countTokens('count me'), completion_tokens: countTokens('four score') });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);

    const overridden = await client.chat.completions.create({ model: 'gpt-test', messages: user('again') });
    expect(overridden.usage?.prompt_tokens).toBe(1000);
  });

  test('records requests in order with bodies and headers', async () => {
    const { llm, client } = await startWithClient([turns.text('one'), turns.text('two')]);
    await client.chat.completions.create({ model: 'gpt-test', messages: user('first'), temperature: 0.2 });
    await client.chat.completions.create({ model: 'gpt-test', messages: user('second'), stream: true }).then(async (stream) => {
      for await (const _ of stream);
    });

    expect(llm.requests.map((request) => request.body.messages[0]?.content)).toEqual(['first', 'second']);
    expect(llm.requests[0]?.body.temperature).toBe(0.2);
    expect(llm.requests[1]?.body.stream).toBe(true);
    expect(llm.requests[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(llm.requests.every((request) => !request.aborted)).toBe(true);
  });

  test('setScript replaces the script and starts it over', async () => {
    const { llm, client } = await startWithClient([turns.text('old')]);
    await client.chat.completions.create({ model: 'm', messages: user('a') });
    llm.setScript((_request, index) => turns.text(`new #${index}`));
    const completion = await client.chat.completions.create({ model: 'm', messages: user('b') });

    expect(completion.choices[0]?.message.content).toBe('new #0');
    expect(llm.requests).toHaveLength(2);
  });

  test('lists the model', async () => {
    const { client } = await startWithClient([], { model: 'scripted-4o' });
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['scripted-4o']);
    expect((await client.models.retrieve('scripted-4o')).id).toBe('scripted-4o');
  });
});

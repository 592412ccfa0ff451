import OpenAI from 'openai';
import { describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { startWithClient } from './start-with-client.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];

const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error,
  );

describe('errors', () => {
  test('a wrong API key surfaces as AuthenticationError', async () => {
    const { llm, client } = await startWithClient([turns.text('never')], { apiKey: 'sk-right-key', clientApiKey: 'sk-wrong-key-1234' });
    const error = await rejection(client.chat.completions.create({ model: 'm', messages }));

    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
    expect((error as Error).message).toContain('Incorrect API key provided: sk-***1234');
    expect(llm.requests).toHaveLength(0);
  });

  test('the right API key is accepted', async () => {
    const { client } = await startWithClient([turns.text('welcome')], { apiKey: 'sk-right-key' });
    const completion = await client.chat.completions.create({ model: 'm', messages });
    expect(completion.choices[0]?.message.content).toBe('welcome');
  });

  test('a 429 with retry-after is retried by the client and then succeeds', async () => {
    const { llm, client } = await startWithClient([turns.error(429, 'slow down', { retryAfterSeconds: 0.01 }), turns.text('made it')], {
      maxRetries: 2,
    });
    const completion = await client.chat.completions.create({ model: 'm', messages });

    expect(completion.choices[0]?.message.content).toBe('made it');
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[1]?.headers['x-stainless-retry-count']).toBe('1');
  });

  test('error turns answer in OpenAI’s error shape with their headers', async () => {
    const { client } = await startWithClient([turns.error(429, 'slow down', { retryAfterSeconds: 1 })]);
    const error = await rejection(client.chat.completions.create({ model: 'm', messages }));

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimit.error).toEqual({ message: 'slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' });
    expect(rateLimit.headers?.get('retry-after')).toBe('1');
    expect(rateLimit.requestID).toMatch(/^req_scripted_/);
  });

  test('shouldRetry: false stops the client from retrying a 503', async () => {
    const { llm, client } = await startWithClient([turns.error(503, 'overloaded', { shouldRetry: false })], { maxRetries: 3 });
    const error = await rejection(client.chat.completions.create({ model: 'm', messages }));

    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503, type: 'server_error' });
    expect(llm.requests).toHaveLength(1);
  });

  test('context_length_exceeded is a 400 with that code', async () => {
    const { client } = await startWithClient([turns.contextLengthExceeded(8192)]);
    const error = await rejection(client.chat.completions.create({ model: 'm', messages }));

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'messages' });
    expect((error as Error).message).toContain("This model's maximum context length is 8192 tokens");
  });

  test('running out of turns is a 500 naming the problem, not retried', async () => {
    const { llm, client } = await startWithClient([turns.text('only one')], { maxRetries: 2 });
    await client.chat.completions.create({ model: 'm', messages });
    const error = await rejection(client.chat.completions.create({ model: 'm', messages }));

    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ code: 'script_exhausted' });
    expect((error as Error).message).toContain('script exhausted: this is request #2 but the script has only 1 turn');
    expect(llm.requests).toHaveLength(2);
  });

  test('a script function that throws or returns a non-turn is reported', async () => {
    const { llm, client } = await startWithClient(() => {
      throw new Error('no idea');
    });
    await expect(client.chat.completions.create({ model: 'm', messages })).rejects.toMatchObject({
      status: 500,
      code: 'script_error',
      message: expect.stringContaining('no idea'),
    });
    llm.setScript(() => ({ contnet: 'typo' }) as never);
    await expect(client.chat.completions.create({ model: 'm', messages })).rejects.toMatchObject({ code: 'invalid_turn' });
  });

  test('rejects histories OpenAI rejects: unanswered tool calls and orphan tool messages', async () => {
    const { llm, client } = await startWithClient([turns.text('unused')]);
    const assistant = {
      role: 'assistant' as const,
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function' as const, function: { name: 'execute_bash', arguments: '{}' } }],
    };

    await expect(client.chat.completions.create({ model: 'm', messages: [...messages, assistant, ...messages] })).rejects.toMatchObject({
      status: 400,
      param: 'messages.[1].role',
      message: expect.stringContaining('did not have response messages: call_1'),
    });
    await expect(
      client.chat.completions.create({ model: 'm', messages: [...messages, { role: 'tool', tool_call_id: 'call_1', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 400, param: 'messages.[1].role' });
    await expect(
      client.chat.completions.create({ model: 'm', messages: [...messages, assistant, { role: 'tool', tool_call_id: 'call_9', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 400, param: 'messages.[2].tool_call_id' });
    expect(llm.requests).toHaveLength(0);
  });

  test('unknown routes and invalid bodies get OpenAI-style errors', async () => {
    const { llm } = await startWithClient([]);
    const notFound = await fetch(`${llm.url}/embeddings`, { method: 'POST', body: '{}' });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({
      error: { message: 'Invalid URL (POST /v1/embeddings)', type: 'invalid_request_error', param: null, code: null },
    });

    const badJson = await fetch(`${llm.url}/chat/completions`, { method: 'POST', body: '{"model":' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { message: string } }).error.message).toContain('could not parse the JSON body');

    const noModel = await fetch(`${llm.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ messages }) });
    expect(((await noModel.json()) as { error: { message: string } }).error.message).toBe('you must provide a model parameter');
  });
});

import OpenAI from 'openai';
import { describe, expect, test, vi } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { startWithClient } from './start-with-client.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('delays, hangs and pauses', () => {
  test('a hanging request ends when the client aborts it', async () => {
    const { llm, client } = await startWithClient([turns.hang()]);
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'm', messages }, { signal: controller.signal });

    await llm.waitForRequests(1);
    controller.abort();

    await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    await vi.waitFor(() => expect(llm.requests[0]?.aborted).toBe(true));
  });

  test('a stream can hang after some chunks until the client aborts', async () => {
    const { llm, client } = await startWithClient([turns.text('partial answer that never ends', { streamPause: { afterChunks: 3, hang: true } })]);
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true }, { signal: controller.signal });

    const received: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) {
        received.push(chunk.choices[0]?.delta.content ?? '');
        if (received.length === 3) controller.abort();
      }
    })();

    await reading; // the openai Stream ends quietly when its request is aborted
    expect(received.join('')).toBe('partial');
    await vi.waitFor(() => expect(llm.requests[0]?.aborted).toBe(true));
  });

  test('delayMs holds the answer and a timed stream pause resumes', async () => {
    const { client } = await startWithClient([
      turns.text('late', { delayMs: 30 }),
      turns.text('paused then done', { streamPause: { afterChunks: 2, ms: 30 }, chunkDelayMs: 1 }),
    ]);

    const started = performance.now();
    const completion = await client.chat.completions.create({ model: 'm', messages });
    expect(completion.choices[0]?.message.content).toBe('late');
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);

    const streamed = await client.chat.completions.stream({ model: 'm', messages }).finalChatCompletion();
    expect(streamed.choices[0]?.message.content).toBe('paused then done');
  });

  test('close() ends hanging requests', async () => {
    const { llm, client } = await startWithClient([turns.hang()]);
    const pending = client.chat.completions.create({ model: 'm', messages });
    await llm.waitForRequests(1);
    await llm.close();

    await expect(pending).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
  });
});

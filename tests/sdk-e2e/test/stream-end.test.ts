import { afterAll, beforeAll, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { AuthenticationError, StreamEndedError, isRunEnd, type ConversationStreamEvent } from '@metisai/sdk';
import { startStack, type Stack } from './support/harness.ts';

/** The server ends streams with `stream_end`: the SDK reconnects after `stream_max_age` and throws on the others. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { SSE_MAX_AGE_SECONDS: '0.4' } });
});
afterAll(() => stack?.close());

test('a stream older than SSE_MAX_AGE_SECONDS is reopened with Last-Event-ID: every stored event once, in order', async () => {
  const { client } = await stack.user('max-age');
  stack.llm.setScript([
    ...Array.from({ length: 4 }, (_, index) => turns.toolCall('execute_bash', { command: `sleep 0.3; echo step-${index}` })),
    turns.toolCall('finish', { message: 'done' }),
  ]);
  const conversation = await client.conversations.create({});
  const stream = client.conversations.stream(conversation.id);
  const received: ConversationStreamEvent[] = [];
  const reading = (async () => {
    for await (const event of stream) {
      received.push(event);
      if (isRunEnd(event)) break;
    }
  })();
  await stream.connected;
  await client.conversations.messages.create(conversation.id, { content: 'four steps' });
  await reading;
  expect(stream.reconnects).toBeGreaterThanOrEqual(2);
  const log = (await client.conversations.events.list(conversation.id, { limit: 1000 })).data;
  const stored = received.filter((event) => 'seq' in event);
  expect(stored).toEqual(log);
  expect(received.some((event) => (event as { type: string }).type === 'stream_end')).toBe(false);
});

test('a stream whose session is revoked ends with a StreamEndedError (token_revoked)', async () => {
  const { client, token } = await stack.user('revoked');
  const conversation = await client.conversations.create({});
  const sameSession = stack.client({ token: token.access_token });
  const stream = client.conversations.stream(conversation.id, { maxReconnects: 0 });
  const outcome = (async () => {
    for await (const _event of stream) {
      // nothing arrives: the conversation is idle
    }
  })().catch((error: unknown) => error);
  await stream.connected;
  await sameSession.auth.logout();
  const error = await outcome;
  expect(error).toBeInstanceOf(StreamEndedError);
  expect(error).toBeInstanceOf(AuthenticationError);
  expect(error).toMatchObject({ code: 'token_revoked' });
});

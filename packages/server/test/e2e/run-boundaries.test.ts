import { afterAll, beforeAll, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { eventsOf, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { newConversation } from './e2e-helpers.ts';

let rt: Runtime;
beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(() => rt?.close());

/**
 * A client that retries a 409 conversation_busy at once posts right as each run ends. A message that lands
 * between the end of a run and the release of its lock must start the next run, not mark the previous one
 * "interrupted" (the state the request read before it took the lock is stale by then).
 */
test('messages posted the moment a run ends start the next run; none is marked interrupted', async () => {
  rt.llm.setScript(() => turns.text('ok'));
  const id = await newConversation(rt.http);
  const rounds = 100;
  for (let i = 0; i < rounds; i++) {
    for (;;) {
      const reply = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: `message ${i}` });
      if (reply.status === 202) break;
      expect(reply.body.error.code).toBe('conversation_busy');
    }
  }
  expect((await waitForState(rt.http, id, ['idle', 'error'])).state).toBe('idle');
  const events = await eventsOf(rt.http, id);
  expect(events.filter((event) => event.type === 'error')).toEqual([]);
  expect(events.filter((event) => event.type === 'state' && event.state !== 'running').map((event) => event.state)).toEqual(
    Array.from({ length: rounds }, () => 'idle'),
  );
}, 60_000);

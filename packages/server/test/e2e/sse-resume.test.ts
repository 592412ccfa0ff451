import { afterAll, beforeAll, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { eventsOf, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { isFinalState, newConversation, Streams } from './e2e-helpers.ts';

let rt: Runtime;
const streams = new Streams();
beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => {
  streams.closeAll();
  await rt?.close();
});

test('a client that disconnects mid-run and resumes with Last-Event-ID gets the log exactly once', async () => {
  const steps = 6;
  rt.llm.setScript([
    ...Array.from({ length: steps }, (_, i) => ({
      content: `Step ${i + 1}, running a short command.`,
      toolCalls: [{ name: 'execute_bash', arguments: { command: `echo step-${i + 1} && sleep 0.1` } }],
      chunkDelayMs: 2,
    })),
    turns.toolCall('finish', { message: 'all steps done' }),
  ]);
  const id = await newConversation(rt.http);
  const first = await streams.open(rt.server.url, id, rt.user.token);
  await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: `run ${steps} steps` });
  // Read part of the run, then go away while it is still going.
  await first.until((c) => c.stored.filter((event) => event.type === 'observation').length >= 2, 15_000);
  first.close();
  await first.ended;
  const lastSeen = first.lastId!;
  expect(first.stored.some(isFinalState)).toBe(false);

  const second = await streams.open(rt.server.url, id, rt.user.token, lastSeen);
  await second.until((c) => c.stored.some(isFinalState), 20_000);
  expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
  // The resumed stream started mid-run: part of it was replayed from Postgres, part was live.
  expect(second.stored[0].seq).toBe(Number(lastSeen) + 1);
  expect(second.deltas.length).toBeGreaterThan(0);

  const joined = [...first.stored, ...second.stored];
  const seqs = joined.map((event) => event.seq);
  expect(new Set(seqs).size).toBe(seqs.length);
  const stored = await eventsOf(rt.http, id);
  expect(joined).toEqual(stored);
  // A full replay over SSE after the run is the same, with no deltas.
  const replay = await streams.open(rt.server.url, id, rt.user.token);
  await replay.until((c) => c.stored.length === stored.length);
  expect(replay.stored).toEqual(joined);
  expect(replay.deltas).toEqual([]);
  expect(stored.filter((event) => event.type === 'action')).toHaveLength(steps + 1);
});

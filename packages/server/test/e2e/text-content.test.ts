import { afterAll, beforeAll, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { eventsOf, scripted, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { newConversation } from './e2e-helpers.ts';

let rt: Runtime;
beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(() => rt?.close());

const EMOJI = '😀';

/**
 * Postgres refuses NUL and lone surrogates in jsonb and NOTIFY payloads. A command whose output is emoji cut
 * at an odd offset, with a NUL, and whose arguments themselves hold a NUL and half an emoji (a model can send
 * those), must not end the run with a database error.
 */
test('emoji cut at an odd offset and NUL, in output and in tool-call arguments, do not end a run with a database error', async () => {
  const script = `printf 'x'; for i in $(seq 1 40000); do printf '${EMOJI}'; done; printf '\\0 end\\n' #`;
  const command = `${script} ${EMOJI.slice(0, 1)} \0`;
  rt.llm.setScript(scripted([() => turns.toolCall('execute_bash', { command }), () => turns.toolCall('finish', { message: `done ${EMOJI.slice(1)}\0` })]));
  const id = await newConversation(rt.http);
  expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'print emoji' })).status).toBe(202);
  const end = await waitForState(rt.http, id, ['finished', 'error', 'idle'], 60_000);
  const events = await eventsOf(rt.http, id);
  expect(events.filter((event) => event.type === 'error')).toEqual([]);
  expect(end.state).toBe('finished');

  const action = events.find((event) => event.type === 'action');
  expect(action?.args.command).toBe(`${script} \uFFFD `);
  const observation = events.find((event) => event.type === 'observation');
  expect(observation?.exit_code).toBe(0);
  expect(observation?.content).toMatch(new RegExp(`^x(${EMOJI})+ \\[… \\d+ more characters of this line\\]`));
  for (const event of events) {
    const json = JSON.stringify(event);
    expect(json.isWellFormed() && !json.includes('\\u0000')).toBe(true);
  }
}, 90_000);

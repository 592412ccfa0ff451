import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { turns, type ChatRequest } from '@metisai/scripted-llm';
import { eventsOf, scripted, startRuntime, waitForState, workdirOf, type Runtime } from '../runtime/runtime-harness.ts';
import { runningAgent, newConversation } from './e2e-helpers.ts';

/**
 * The golden transcript: one fixed conversation — a message, two tool calls in one reply, an editor edit, two
 * confirmations, a stop while the model thinks, a second message and a finish — run end to end over HTTP with the
 * scripted LLM and the local driver. Its stored events, with ids, times and the workdir normalised, must equal
 * `golden-transcript.json`. Refactors keep it; a deliberate change of the protocol updates the file
 * (`UPDATE_GOLDEN=1 npx vitest run packages/server/test/e2e/golden-transcript.test.ts`) and says so in a changeset.
 */
const GOLDEN = new URL('./golden-transcript.json', import.meta.url);

let rt: Runtime;
beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(() => rt?.close());

/** Replaces ids by `<id:n>` (in order of first appearance), times by `<time>` and the workdir by `<workdir>`. */
function normalise(events: Array<Record<string, unknown>>, workdir: string): unknown[] {
  const ids = new Map<string, string>();
  const idOf = (value: string) => {
    if (!ids.has(value)) ids.set(value, `<id:${ids.size + 1}>`);
    return ids.get(value)!;
  };
  const walk = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) return value.map((item) => walk(item));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    if (typeof value !== 'string') return value;
    if (key === 'id' || key === 'conversation_id' || key === 'message_id' || key === 'tool_call_id') return idOf(value);
    if (key === 'created_at') return '<time>';
    return value.split(workdir).join('<workdir>');
  };
  return events.map((event) => walk(event));
}

test('the golden conversation stores exactly the recorded transcript', async () => {
  let workdir = '';
  const hang = () => turns.hang();
  rt.llm.setScript(
    scripted([
      (dir) => {
        workdir = dir;
        return turns.toolCalls(
          [
            { name: 'execute_bash', arguments: { command: `printf 'hello\\nworld\\n' > ${dir}/notes.txt && cat ${dir}/notes.txt` } },
            { name: 'str_replace_editor', arguments: { command: 'str_replace', path: `${dir}/notes.txt`, old_str: 'world', new_str: 'golden world' } },
          ],
          { content: 'I will write the notes, then edit them.' },
        );
      },
      () => turns.text('Both steps are done.'),
      hang,
      (dir) => turns.toolCall('finish', { message: `The notes in ${dir}/notes.txt say hello to a golden world.` }),
    ]),
  );
  const agentId = await runningAgent(rt, 'golden', { llm_model: 'scripted', confirmation_mode: true });
  const id = await newConversation(rt.http, { agent_id: agentId, title: 'golden' });

  expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'Write notes.txt and edit it.' })).status).toBe(202);
  await waitForState(rt.http, id, ['awaiting_confirmation']);
  expect((await rt.http.post(`/api/v1/conversations/${id}/confirm`, { approve: true })).status).toBe(202);
  await waitForState(rt.http, id, ['awaiting_confirmation']);
  expect((await rt.http.post(`/api/v1/conversations/${id}/confirm`, { approve: true })).status).toBe(202);
  await waitForState(rt.http, id, ['idle']);

  expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'Think it over.' })).status).toBe(202);
  await rt.llm.waitForRequests(3);
  expect((await rt.http.post(`/api/v1/conversations/${id}/stop`)).status).toBe(202);
  await waitForState(rt.http, id, ['stopped']);

  expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'Finish up.' })).status).toBe(202);
  await waitForState(rt.http, id, ['finished']);

  const transcript = normalise(await eventsOf(rt.http, id), workdir);
  if (process.env.UPDATE_GOLDEN === '1') await writeFile(GOLDEN, `${JSON.stringify(transcript, null, 2)}\n`);
  expect(transcript).toEqual(JSON.parse(await readFile(GOLDEN, 'utf8')));
  // The model saw the results paired with its calls.
  const third = rt.llm.requests[1]!.body as ChatRequest;
  expect(third.messages.filter((message) => message.role === 'tool')).toHaveLength(2);
  expect(workdirOf(third)).toBe(workdir);
}, 60_000);

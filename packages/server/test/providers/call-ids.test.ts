import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { turns, type ChatRequest } from '@metisai/scripted-llm';
import { eventsOf, waitForState } from '../runtime/runtime-harness.ts';
import { newConversation } from '../e2e/e2e-helpers.ts';
import { converse, errorCodesIn, observationsIn, playFixture, useProviderRuntime } from './provider-harness.ts';

/**
 * Kind 2: call ids are ours. A provider that repeats ids (`call_0` in parallel and across turns) still gets every call
 * run, each result paired with its own call, and a history of unique, 9-alphanumeric ids (Mistral's rule); the
 * provider's id stays on the action. Conversations stored before this change are de-duplicated when rebuilt.
 */
const env = useProviderRuntime();

/** For each assistant tool call of a request, the content of the tool message answering it. */
const pairsOf = (request: ChatRequest) => {
  const results = new Map(request.messages.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, m.content as string]));
  return request.messages.flatMap((m) => (m.tool_calls ?? []).map((call) => [JSON.parse(call.function.arguments).command, results.get(call.id)]));
};

describe('tool call ids', () => {
  test('xinference/repeated-call-ids: three calls all named call_0 each run once, paired with their own results', async () => {
    const before = env.rt.llm.requests.length;
    playFixture(env.rt, 'xinference', 'repeated-call-ids');
    const seen = await converse(env.rt, env.streams);
    expect(errorCodesIn(seen)).toEqual([]);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    const actions = seen.events.filter((event) => event.type === 'action');
    expect(actions.map((action) => action.provider_tool_call_id)).toEqual(['call_0', 'call_0', 'call_0', 'call_0']);
    const ids = actions.map((action) => action.tool_call_id);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{9}$/);
    expect(
      observationsIn(seen)
        .slice(0, 3)
        .map((output) => output.split('\n')[0]),
    ).toEqual(['conformance-one', 'conformance-two', 'conformance-three']);
    // The last request carried every result next to its own call (the rule `unique_tool_call_ids` checked the ids).
    const last = env.rt.llm.requests.at(-1)!.body;
    expect(env.rt.llm.requests.length - before).toBe(3);
    const pairs = pairsOf(last).filter(([command]) => command !== undefined);
    expect(pairs.map(([command, output]) => [command, output!.split('\n')[0]])).toEqual([
      ['echo conformance-one', 'conformance-one'],
      ['echo conformance-two', 'conformance-two'],
      ['echo conformance-three', 'conformance-three'],
    ]);
  });

  test("vllm/mistral-tool-call-ids: the template's 9-alphanumeric rule holds for the whole history", async () => {
    playFixture(env.rt, 'vllm', 'mistral-tool-call-ids');
    const seen = await converse(env.rt, env.streams);
    expect(errorCodesIn(seen)).toEqual([]);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    expect(seen.events.find((event) => event.type === 'action')!.provider_tool_call_id).toBe('chatcmpl-tool-e5add885dbb342de950be95dd89b71e7');
  });

  test('a conversation stored before this change, with call_0 repeated, is rebuilt with unique ids and right pairs', async () => {
    // The log an older server stored: two replies whose calls both say call_0, the second one not yet answered.
    const id = await newConversation(env.rt.http);
    const client = new pg.Client({ connectionString: env.rt.server.databaseUrl });
    await client.connect();
    try {
      const rows: Array<[string, Record<string, unknown>]> = [
        ['message', { role: 'user', content: 'Run two commands.' }],
        ['action', { tool_call_id: 'call_0', tool: 'execute_bash', args: { command: 'echo legacy-one' } }],
        ['observation', { tool_call_id: 'call_0', content: 'legacy-one\n[The command completed with exit code 0.]', exit_code: 0 }],
        ['action', { tool_call_id: 'call_0', tool: 'execute_bash', args: { command: 'echo legacy-two' } }],
        ['state', { state: 'idle', reason: 'awaiting_user' }],
      ];
      let seq = 0;
      for (const [type, payload] of rows) {
        seq++;
        await client.query('insert into events (id, conversation_id, seq, type, payload, created_at) values (gen_random_uuid(), $1, $2, $3, $4, now())', [
          id,
          seq,
          type,
          JSON.stringify(payload),
        ]);
      }
      await client.query("update conversations set last_seq = $2, state = 'idle' where id = $1", [id, seq]);
    } finally {
      await client.end();
    }
    const before = env.rt.llm.requests.length;
    env.rt.llm.setScript([{ ...turns.toolCall('finish', { message: 'done' }), rules: ['unique_tool_call_ids', 'mistral_tool_call_ids'] }]);
    expect((await env.rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'Go on.' })).status).toBe(202);
    await waitForState(env.rt.http, id, ['finished', 'error']);
    const events = await eventsOf(env.rt.http, id);
    expect(events.filter((event) => event.type === 'error')).toEqual([]);
    const request = env.rt.llm.requests[before]!.body;
    const pairs = pairsOf(request).filter(([command]) => command !== undefined);
    expect(pairs[0]).toEqual(['echo legacy-one', 'legacy-one\n[The command completed with exit code 0.]']);
    // The second call never ran (the user wrote instead): it is answered as overtaken, not with the first call's result.
    expect(pairs[1]![0]).toBe('echo legacy-two');
    expect(pairs[1]![1]).toMatch(/not executed/);
  });
});

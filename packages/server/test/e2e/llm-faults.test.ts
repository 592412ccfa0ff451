import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { eventsOf, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { isFinalState, newConversation, runningAgent, Streams, waitForEvent } from './e2e-helpers.ts';

let rt: Runtime;
const streams = new Streams();
beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => {
  streams.closeAll();
  await rt?.close();
});

/** Posts `content` to a new conversation (of `agentId` when given) with an SSE client attached; waits for the end. */
async function run(content: string, agentId?: string) {
  const id = await newConversation(rt.http, agentId ? { agent_id: agentId } : {});
  const sse = await streams.open(rt.server.url, id, rt.user.token);
  expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content })).status).toBe(202);
  await sse.until((c) => c.stored.some(isFinalState), 20_000);
  const conversation = await waitForState(rt.http, id, ['finished', 'error', 'idle', 'stopped']);
  const events = await eventsOf(rt.http, id);
  expect(sse.stored).toEqual(events);
  return { id, conversation, events, sse };
}

describe('LLM faults, through HTTP', () => {
  test('401: an error event names the provider complaint; the run ends in error', async () => {
    rt.llm.setScript([turns.error(401, 'Incorrect API key provided: sk-te****. You can find your API key at https://platform.openai.com.')]);
    const { conversation, events } = await run('hi');
    expect(conversation.state).toBe('error');
    const error = events.find((event) => event.type === 'error')!;
    expect(error.code).toBe('llm_auth');
    expect(error.message).toContain('401');
    expect(error.message).toContain('Incorrect API key provided');
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'error', reason: 'llm_auth' });
  });

  test('429 with Retry-After, then success: an llm_retry event is streamed and the run finishes', async () => {
    const before = rt.llm.requests.length;
    rt.llm.setScript([turns.error(429, 'slow down', { retryAfterSeconds: 1 }), turns.toolCall('finish', { message: 'made it' })]);
    const started = Date.now();
    const { conversation, events, sse } = await run('hi');
    expect(conversation.state).toBe('finished');
    const retry = events.find((event) => event.type === 'error')!;
    expect(retry.code).toBe('llm_retry');
    expect(retry.message).toMatch(/429.*slow down.*retry 1 of \d+ in 1(\.0)? s/);
    expect(sse.messages.some((message) => message.event === 'error')).toBe(true);
    // The retry waited as the provider asked.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(rt.llm.requests.length - before).toBe(2);
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'finished', reason: 'finish' });
  });

  test('a stop during the Retry-After wait ends the run at once, without calling the LLM again', async () => {
    rt.llm.setScript([turns.error(429, 'slow down', { retryAfterSeconds: 30 }), turns.toolCall('finish', { message: 'too late' })]);
    const id = await newConversation(rt.http);
    const before = rt.llm.requests.length;
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'hi' });
    await waitForEvent(rt.http, id, (event) => event.type === 'error' && event.code === 'llm_retry');
    const started = Date.now();
    expect((await rt.http.post(`/api/v1/conversations/${id}/stop`)).status).toBe(202);
    expect((await waitForState(rt.http, id, ['stopped', 'error', 'finished'], 5000)).state).toBe('stopped');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(rt.llm.requests.length - before).toBe(1);
    expect((await eventsOf(rt.http, id)).at(-1)).toMatchObject({ type: 'state', state: 'stopped', reason: 'user_stop' });
  });

  test('a tool call with malformed JSON arguments gets an error observation; the model recovers and finishes', async () => {
    rt.llm.setScript([
      { toolCalls: [{ name: 'execute_bash', arguments: '{"command": "echo hi' }] },
      turns.toolCall('execute_bash', { command: 'echo recovered' }),
      turns.toolCall('finish', { message: 'fixed' }),
    ]);
    const { conversation, events } = await run('go');
    expect(conversation.state).toBe('finished');
    const [bad, good] = events.filter((event) => event.type === 'observation');
    expect(events.find((event) => event.type === 'action')).toMatchObject({ tool: 'execute_bash', args: { _raw_arguments: '{"command": "echo hi' } });
    expect(bad!.content).toMatch(/^ERROR: The arguments of your execute_bash call are not a valid JSON object/);
    expect(good!.content).toContain('recovered');
    // The model saw the complaint as the tool result.
    const secondRequest = rt.llm.requests.at(-2)!.body;
    expect(secondRequest.messages.find((message) => message.role === 'tool')!.content).toMatch(/not a valid JSON object/);
  });

  test('an agent with max_iterations 2 whose model keeps thinking ends in error max_iterations', async () => {
    const agentId = await runningAgent(rt, 'thinker', { max_iterations: 2, warm_pool_size: 0 });
    const before = rt.llm.requests.length;
    rt.llm.setScript((_request, index) => turns.toolCall('think', { thought: `thought ${index}` }));
    const { conversation, events } = await run('think', agentId);
    expect(conversation.state).toBe('error');
    expect(rt.llm.requests.length - before).toBe(2);
    expect(events.filter((event) => event.type === 'action')).toHaveLength(2);
    expect(events.find((event) => event.type === 'error')).toMatchObject({ code: 'max_iterations' });
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'error', reason: 'max_iterations' });
  });

  test('the same execute_bash four times with the same output ends in error stuck', async () => {
    const same = turns.toolCall('execute_bash', { command: 'echo same' });
    rt.llm.setScript([same, same, same, same, same, same]);
    const { conversation, events } = await run('loop');
    expect(conversation.state).toBe('error');
    expect(events.filter((event) => event.type === 'action')).toHaveLength(4);
    expect(events.find((event) => event.type === 'error')).toMatchObject({ code: 'stuck' });
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'error', reason: 'stuck' });
  });
});

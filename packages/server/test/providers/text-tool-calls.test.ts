import { describe, expect, test } from 'vitest';
import { waitForState } from '../runtime/runtime-harness.ts';
import { agentWith, converse, errorCodesIn, observationsIn, playFixture, useProviderRuntime } from './provider-harness.ts';
import { newConversation } from '../e2e/e2e-helpers.ts';

/**
 * Kind 7: tool calls written as text by models served without a tool parser run as if native (confirmation mode still
 * applies), the markup leaves the stored message, and an `error` event `text_tool_call` (which the run survives) says
 * so. `text_tool_calls: false` turns it off.
 */
const env = useProviderRuntime();

describe('tool calls written as text', () => {
  test('ollama/text-tool-call: <tool_call> markup runs as a call, the markup leaves the message, a notice is stored', async () => {
    playFixture(env.rt, 'ollama', 'text-tool-call');
    const seen = await converse(env.rt, env.streams);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    expect(errorCodesIn(seen)).toEqual(['text_tool_call', 'text_tool_call']);
    expect(seen.events.find((event) => event.type === 'error')!.message).toMatch(/wrote a tool call as text \(<tool_call>\)/);
    const messages = seen.events.filter((event) => event.type === 'message' && event.role === 'assistant').map((event) => event.content);
    expect(messages).toEqual(['I will run the command.', 'conformance finished']);
    expect(observationsIn(seen)[0]).toMatch(/^conformance-ok\n/);
  });

  test('confirmation mode still asks before a text tool call runs', async () => {
    const agentId = await agentWith(env.rt, 'careful', { confirmation_mode: true });
    playFixture(env.rt, 'ollama', 'text-tool-call');
    const id = await newConversation(env.rt.http, { agent_id: agentId });
    await env.rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'Run it.' });
    await waitForState(env.rt.http, id, ['awaiting_confirmation']);
    expect((await env.rt.http.post(`/api/v1/conversations/${id}/confirm`, { approve: true })).status).toBe(202);
    expect((await waitForState(env.rt.http, id, ['finished', 'error'])).state).toBe('finished');
  });

  test('text_tool_calls: false leaves the text alone: the reply is an answer and the run waits for the user', async () => {
    const agentId = await agentWith(env.rt, 'literal', { text_tool_calls: false });
    playFixture(env.rt, 'ollama', 'text-tool-call');
    const seen = await converse(env.rt, env.streams, { agentId });
    expect(seen).toMatchObject({ state: 'idle', reason: 'awaiting_user' });
    expect(seen.events.filter((event) => event.type === 'action')).toEqual([]);
    expect(seen.events.findLast((event) => event.type === 'message')!.content).toContain('<tool_call>');
  });
});

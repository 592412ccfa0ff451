import { describe, expect, test } from 'vitest';
import { converse, errorCodesIn, observationsIn, playFixture, useProviderRuntime } from './provider-harness.ts';

/**
 * Kind 1: tool-call deltas in every shape providers send reassemble into calls that each run exactly once with the
 * right arguments. Each case replays a provider's recorded chunks; the user sees the commands' output and `finished`.
 */
const env = useProviderRuntime();

describe('tool-call env.streams, replayed from providers', () => {
  test.each([
    ['gemini', 'tool-call-no-index'],
    ['ollama', 'tool-call-no-index'],
    ['llama-cpp', 'arguments-object'],
    ['glm', 'arguments-resent'],
    ['azure', 'content-filter-chunks'],
    ['other', 'json-answer-to-stream'],
  ])('%s/%s: the command runs once with its arguments and the run finishes', async (provider, name) => {
    playFixture(env.rt, provider, name);
    const seen = await converse(env.rt, env.streams);
    expect(errorCodesIn(seen)).toEqual([]);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    const actions = seen.events.filter((event) => event.type === 'action');
    expect(actions.map((action) => [action.tool, action.args])).toEqual([
      ['execute_bash', { command: 'echo conformance-ok' }],
      ['finish', { message: 'conformance finished' }],
    ]);
    expect(observationsIn(seen)[0]).toMatch(/^conformance-ok\n/);
    expect(seen.elapsedMs).toBeLessThan(15_000);
  });

  test.each([
    ['ollama', 'parallel-calls-index-0'],
    ['vllm', 'parallel-calls-index-0'],
  ])('%s/%s: two parallel calls that share index 0 stay two calls, each run once', async (provider, name) => {
    playFixture(env.rt, provider, name);
    const seen = await converse(env.rt, env.streams);
    expect(seen).toMatchObject({ state: 'finished', reason: 'finish' });
    const commands = seen.events.filter((event) => event.type === 'action' && event.tool === 'execute_bash').map((action) => action.args.command);
    expect(commands).toEqual(['echo conformance-one', 'echo conformance-two']);
    const outputs = observationsIn(seen);
    expect(outputs[0]).toMatch(/^conformance-one\n/);
    expect(outputs[1]).toMatch(/^conformance-two\n/);
  });
});

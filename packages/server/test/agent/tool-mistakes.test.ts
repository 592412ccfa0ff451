import { afterEach, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { startHarness, type Harness } from './agent-harness.ts';

let h: Harness;
afterEach(() => h?.close());

describe("the model's mistakes and loops", () => {
  test('bad JSON, an unknown tool and invalid arguments become error observations; the model recovers', async () => {
    h = await startHarness(() => [
      turns.toolCall('execute_bash', '{"command": "ls"'),
      turns.toolCall('browse', { url: 'https://example.com' }),
      turns.toolCall('execute_bash', { cmd: 'ls' }),
      turns.toolCall('execute_bash', { command: 'echo recovered' }),
      turns.toolCall('finish', { message: 'ok' }),
    ]);
    h.emitter.user('list files');
    const result = await h.run();
    expect(result.state).toBe('finished');
    const [badJson, unknown, invalid, good] = h.emitter.all('observation');
    expect(badJson!.content).toMatch(/^ERROR: The arguments of your execute_bash call are not a valid JSON object/);
    expect(unknown!.content).toMatch(/^ERROR: Unknown tool "browse"/);
    expect(invalid!.content).toMatch(/^ERROR: Invalid arguments for execute_bash/);
    expect(invalid!.content).toContain('command');
    expect(good!.content).toContain('recovered');
    expect(h.emitter.all('action')[0]!.args).toEqual({ _raw_arguments: '{"command": "ls"' });
    // Each error went back to the model as the tool result.
    expect(h.llm.requests[1]!.body.messages.at(-1)).toMatchObject({ role: 'tool', content: badJson!.content });
    expect(h.llm.requests[2]!.body.messages.at(-1)).toMatchObject({ role: 'tool', content: unknown!.content });
  });

  test('a disabled tool is unknown to the model', async () => {
    h = await startHarness(() => [turns.toolCall('execute_bash', { command: 'echo hi' }), turns.text('ok')]);
    h.emitter.user('hi');
    await h.run({ tools: ['think'] });
    expect((h.llm.requests[0]!.body.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual(['think', 'finish']);
    expect(h.emitter.last('observation').content).toMatch(/^ERROR: Unknown tool "execute_bash"/);
  });

  test('max iterations: error/max_iterations with an error event', async () => {
    h = await startHarness(() => (_request, index) => turns.toolCall('think', { thought: `step ${index}` }));
    h.emitter.user('think forever');
    const result = await h.run({ maxIterations: 3 });
    expect(result).toMatchObject({ state: 'error', reason: 'max_iterations' });
    expect(h.llm.requests).toHaveLength(3);
    expect(h.emitter.last('error')).toMatchObject({ code: 'max_iterations' });
    expect(h.emitter.events.at(-1)).toMatchObject({ type: 'state', state: 'error', reason: 'max_iterations' });
  });

  test('stuck: the same action with the same observation 4 times', async () => {
    h = await startHarness(() => () => turns.toolCall('execute_bash', { command: 'echo same' }));
    h.emitter.user('loop');
    const result = await h.run();
    expect(result).toMatchObject({ state: 'error', reason: 'stuck' });
    expect(h.llm.requests).toHaveLength(4);
    expect(h.emitter.last('error')).toMatchObject({ code: 'stuck' });
  });

  test('stuck: the same failing call 3 times', async () => {
    h = await startHarness(() => () => turns.toolCall('execute_bash', '{not json'));
    h.emitter.user('loop');
    const result = await h.run();
    expect(result).toMatchObject({ state: 'error', reason: 'stuck' });
    expect(h.llm.requests).toHaveLength(3);
  });
});

import { describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { agentWith, converse, errorCodesIn, useProviderRuntime } from './provider-harness.ts';

/** Kind 9: a cycle of two or three actions whose observations repeat, three times over, is stuck well before the limit. */
const env = useProviderRuntime();

describe('stuck in a cycle', () => {
  test.each([
    [2, ['echo ping', 'echo pong']],
    [3, ['echo one', 'echo two', 'echo three']],
  ])('a cycle of %i actions with repeating results ends in error stuck after 3 rounds, far below max_iterations', async (length, commands) => {
    const agentId = await agentWith(env.rt, `cycle-${length}`, { max_iterations: 50 });
    env.rt.llm.setScript((_request, index) => turns.toolCall('execute_bash', { command: commands[index % commands.length] }));
    const seen = await converse(env.rt, env.streams, { agentId });
    expect(seen).toMatchObject({ state: 'error', reason: 'stuck' });
    expect(errorCodesIn(seen)).toEqual(['stuck']);
    expect(seen.events.filter((event) => event.type === 'action')).toHaveLength(length * 3);
  });
});

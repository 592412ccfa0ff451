import { afterEach, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { startHarness, type Harness } from './agent-harness.ts';

let h: Harness;
afterEach(() => h?.close());

describe('user stop', () => {
  test('during `sleep 100`: C-c reaches the command and the run stops within a second', async () => {
    h = await startHarness(() => [turns.toolCall('execute_bash', { command: 'echo started && sleep 100' }), turns.text('never asked')]);
    h.emitter.user('sleep');
    const stop = new AbortController();
    let stoppedAt = 0;
    const running = h.run({
      signal: stop.signal,
      onCommandOutput: (_id, chunk) => {
        if (chunk.includes('started') && !stop.signal.aborted) {
          stoppedAt = Date.now();
          stop.abort();
        }
      },
    });
    const result = await running;
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
    expect(result).toMatchObject({ state: 'stopped', reason: 'user_stop' });
    expect(h.emitter.types().slice(-3)).toEqual(['action', 'observation', 'state:stopped']);
    const observation = h.emitter.last('observation');
    expect(observation.exit_code).toBe(130);
    expect(h.llm.requests).toHaveLength(1);
    // The shell is free again: the sleep really ended.
    const next = await h.sandbox.shell.execute({ command: 'echo free' });
    expect(next).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  test('during a hanging LLM request: the request is aborted and the run stops within a second', async () => {
    h = await startHarness(() => [turns.hang()]);
    h.emitter.user('hello?');
    const stop = new AbortController();
    const running = h.run({ signal: stop.signal });
    await h.llm.waitForRequests(1);
    const stoppedAt = Date.now();
    stop.abort();
    const result = await running;
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
    expect(result).toMatchObject({ state: 'stopped', reason: 'user_stop' });
    expect(h.emitter.types()).toEqual(['message:user', 'state:running', 'state:stopped']);
    await expect.poll(() => h.llm.requests[0]!.aborted).toBe(true);
  });

  test('pending actions of the same reply get an observation saying they did not run', async () => {
    h = await startHarness(() => [
      turns.toolCalls([
        { name: 'execute_bash', arguments: { command: 'echo started && sleep 100' } },
        { name: 'execute_bash', arguments: { command: 'touch never.txt' } },
      ]),
    ]);
    h.emitter.user('two commands');
    const stop = new AbortController();
    const result = await h.run({
      signal: stop.signal,
      onCommandOutput: (_id, chunk) => chunk.includes('started') && stop.abort(),
    });
    expect(result.state).toBe('stopped');
    expect(h.emitter.types().slice(-5)).toEqual(['action', 'action', 'observation', 'observation', 'state:stopped']);
    expect(h.emitter.all('observation')[1]!.content).toContain('stopped the run');
    expect(await h.sandbox.files.stat(`${h.sandbox.workdir}/never.txt`)).toBeNull();
  });
});

import { afterEach, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { pendingActions } from '../../src/agent/index.ts';
import { startHarness, type Harness } from './agent-harness.ts';

let h: Harness;
afterEach(() => h?.close());

const script = [
  turns.toolCall('think', { thought: 'I will create a file.' }),
  turns.toolCall('execute_bash', { command: 'touch made.txt && echo made' }),
  turns.text('Done.'),
];

async function pause(): Promise<void> {
  h = await startHarness(() => script);
  h.emitter.user('make a file');
  const result = await h.run({ confirmationMode: true });
  expect(result).toMatchObject({ state: 'awaiting_confirmation', reason: 'confirmation_required' });
  // think needs no confirmation; execute_bash does.
  expect(h.emitter.types()).toEqual(['message:user', 'state:running', 'action', 'observation', 'action', 'state:awaiting_confirmation']);
  expect(pendingActions(h.emitter.events).map((a) => a.tool)).toEqual(['execute_bash']);
  expect(await h.sandbox.files.stat(`${h.sandbox.workdir}/made.txt`)).toBeNull();
  expect(h.llm.requests).toHaveLength(2);
}

describe('confirmation mode', () => {
  test('approve runs the pending action, then the LLM continues', async () => {
    await pause();
    const result = await h.run({ confirmationMode: true, decision: 'approve' });
    expect(result).toMatchObject({ state: 'idle', reason: 'awaiting_user' });
    expect(h.emitter.types().slice(-4)).toEqual(['state:running', 'observation', 'message:assistant', 'state:idle']);
    expect(h.emitter.events.at(-4)).toMatchObject({ state: 'running', reason: 'user_approve' });
    expect(h.emitter.last('observation').content).toContain('made');
    expect(await h.sandbox.files.stat(`${h.sandbox.workdir}/made.txt`)).not.toBeNull();
    expect(h.llm.requests[2]!.body.messages.at(-1)).toMatchObject({ role: 'tool' });
  });

  test('reject answers the action with an observation and the LLM continues', async () => {
    await pause();
    const result = await h.run({ confirmationMode: true, decision: 'reject' });
    expect(result.state).toBe('idle');
    expect(h.emitter.last('observation').content).toMatch(/rejected/);
    expect(await h.sandbox.files.stat(`${h.sandbox.workdir}/made.txt`)).toBeNull();
    expect(h.llm.requests[2]!.body.messages.at(-1)!.content).toMatch(/rejected/);
  });

  test('a resume without a decision (after a restart) pauses again; a new user message skips the action', async () => {
    await pause();
    expect((await h.run({ confirmationMode: true })).state).toBe('awaiting_confirmation');
    expect(h.llm.requests).toHaveLength(2);
    h.emitter.user('never mind');
    const result = await h.run({ confirmationMode: true });
    expect(result.state).toBe('idle');
    expect(h.emitter.all('observation').at(-1)!.content).toMatch(/sent a new message before this action ran/);
    expect(h.llm.requests[2]!.body.messages.slice(-2).map((m) => m.role)).toEqual(['tool', 'user']);
  });
});

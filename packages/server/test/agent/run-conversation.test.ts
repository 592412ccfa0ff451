import { afterEach, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { startHarness, type Harness } from './agent-harness.ts';

let h: Harness;
afterEach(() => h?.close());

describe('runConversation', () => {
  test('creates a file, runs it and finishes; the LLM reads every observation', async () => {
    h = await startHarness((workdir: string) => [
      turns.toolCall(
        'str_replace_editor',
        { command: 'create', path: `${workdir}/hello.py`, file_text: 'print("hello from python")\n' },
        { content: 'Writing the script.' },
      ),
      turns.toolCall('execute_bash', { command: 'python3 hello.py' }),
      turns.toolCall('finish', { message: 'Created and ran hello.py.' }),
    ]);
    h.emitter.user('Write hello.py and run it');
    const result = await h.run({ systemPrompt: 'Be brief.' });

    expect(result.state).toBe('finished');
    expect(result.reason).toBe('finish');
    expect(h.emitter.types()).toEqual([
      'message:user',
      'state:running',
      'message:assistant',
      'action',
      'observation',
      'action',
      'observation',
      'action',
      'observation',
      'message:assistant',
      'state:finished',
    ]);
    const [create, run, finish] = h.emitter.all('action');
    expect(create).toMatchObject({ tool: 'str_replace_editor', args: { command: 'create', path: `${h.sandbox.workdir}/hello.py` } });
    expect(run).toMatchObject({ tool: 'execute_bash', args: { command: 'python3 hello.py' } });
    expect(finish).toMatchObject({ tool: 'finish' });
    const observations = h.emitter.all('observation');
    expect(observations[1]).toMatchObject({ tool_call_id: run!.tool_call_id, exit_code: 0 });
    expect(observations[1]!.content).toContain('hello from python');
    expect(h.emitter.last('message')).toMatchObject({ role: 'assistant', content: 'Created and ran hello.py.' });
    expect(h.emitter.last('state')).toMatchObject({ state: 'finished', reason: 'finish' });
    expect(await h.sandbox.files.stat(`${h.sandbox.workdir}/hello.py`)).toMatchObject({ kind: 'file' });

    // The streamed text and its stored message share one id.
    const said = h.emitter.all('message')[1]!;
    expect(h.emitter.deltas.length).toBeGreaterThan(1);
    expect(new Set(h.emitter.deltas.map((d) => d.message_id))).toEqual(new Set([said.id]));
    expect(h.emitter.deltas.map((d) => d.content).join('')).toBe('Writing the script.');

    // What the LLM received.
    expect(h.llm.requests).toHaveLength(3);
    const first = h.llm.requests[0]!.body;
    expect(first.stream).toBe(true);
    expect(first.stream_options).toEqual({ include_usage: true });
    expect((first.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual(['execute_bash', 'str_replace_editor', 'think', 'finish']);
    const system = first.messages[0]!;
    expect(system.role).toBe('system');
    expect(system.content).toContain(h.sandbox.workdir);
    expect(system.content).toContain('Be brief.');
    const second = h.llm.requests[1]!.body.messages;
    expect(second.at(-2)).toMatchObject({ role: 'assistant', content: 'Writing the script.', tool_calls: [{ id: create!.tool_call_id }] });
    expect(second.at(-1)).toMatchObject({ role: 'tool', tool_call_id: create!.tool_call_id, content: observations[0]!.content });
    const third = h.llm.requests[2]!.body.messages.at(-1)!;
    expect(third).toMatchObject({ role: 'tool', tool_call_id: run!.tool_call_id });
    expect(third.content).toContain('hello from python');

    // Usage of every call, and the total.
    expect(h.usage).toHaveLength(3);
    expect(h.usage.every((u) => u.prompt_tokens > 0 && u.completion_tokens > 0)).toBe(true);
    expect(result.usage.prompt_tokens).toBe(h.usage.reduce((sum, u) => sum + u.prompt_tokens, 0));
  });

  test('a reply without tool calls waits for the user; a follow-up continues from the stored history', async () => {
    h = await startHarness(() => [
      turns.toolCall('execute_bash', { command: 'cd /tmp && echo one' }),
      turns.toolCall('finish', { message: 'first done' }),
      turns.toolCall('execute_bash', { command: 'pwd' }),
      turns.text('Which file should I read?'),
    ]);
    h.emitter.user('echo one');
    expect((await h.run()).state).toBe('finished');

    h.emitter.user('and now?');
    const result = await h.run();
    expect(result).toMatchObject({ state: 'idle', reason: 'awaiting_user' });
    expect(h.emitter.last('message')).toMatchObject({ role: 'assistant', content: 'Which file should I read?' });
    // The shell kept its state between runs.
    expect(h.emitter.last('observation').content).toContain('/tmp');

    const messages = h.llm.requests[2]!.body.messages;
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'assistant', 'user']);
    expect(messages[1]).toMatchObject({ content: 'echo one' });
    expect(messages[2]).toMatchObject({ tool_calls: [{ function: { name: 'execute_bash' } }] });
    expect(messages[3]!.content).toContain('one');
    expect(messages[6]).toMatchObject({ role: 'assistant', content: 'first done' });
    expect(messages[7]).toMatchObject({ role: 'user', content: 'and now?' });
  });

  test('a sandbox that fails during a command ends the run in error with sandbox_error', async () => {
    h = await startHarness(() => [turns.toolCall('execute_bash', { command: 'echo hi' }), turns.text('never asked')]);
    await h.sandbox.disconnect(); // the shell is closed: execute throws
    h.emitter.user('hi');
    const result = await h.run();
    expect(result).toMatchObject({ state: 'error', reason: 'sandbox_error' });
    expect(h.emitter.types().slice(-4)).toEqual(['action', 'observation', 'error', 'state:error']);
    expect(h.emitter.last('observation').content).toMatch(/^ERROR: the sandbox failed/);
    expect(h.emitter.last('error')).toMatchObject({ code: 'sandbox_error' });
    expect(h.llm.requests).toHaveLength(1);
  });

  test('a failing sandbox factory ends the run in error with sandbox_error', async () => {
    h = await startHarness(() => [turns.text('never asked')]);
    h.emitter.user('hi');
    const result = await h.run({
      sandbox: async () => {
        throw new Error('no engine');
      },
    });
    expect(result).toMatchObject({ state: 'error', reason: 'sandbox_error' });
    expect(h.emitter.last('error')).toMatchObject({ code: 'sandbox_error' });
    expect(h.emitter.last('error').message).toContain('no engine');
    expect(h.emitter.events.at(-1)).toMatchObject({ type: 'state', state: 'error' });
  });
});

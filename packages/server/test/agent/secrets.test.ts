import { afterEach, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { SecretMasker } from '../../src/agent/index.ts';
import { startHarness, type Harness } from './agent-harness.ts';

const SECRET = 'hunter2-s3cr3t-value';
let h: Harness;
afterEach(() => h?.close());

describe('secrets', () => {
  test('exported in the sandbox, masked in events, deltas, command output and LLM requests', async () => {
    h = await startHarness(() => [
      turns.toolCall('execute_bash', { command: 'echo "value=$MY_SECRET"' }),
      turns.text(`The secret is ${SECRET} as you asked.`),
      turns.text('ok'),
    ]);
    h.emitter.user(`my password is ${SECRET}`);
    const result = await h.run({ secrets: { MY_SECRET: SECRET } });
    expect(result.state).toBe('idle');

    expect(h.emitter.all('observation')[0]!.content).toContain('value=<secret_hidden>');
    expect(h.emitter.last('message').content).toBe('The secret is <secret_hidden> as you asked.');
    // The secret was split across several streamed deltas, and none of them leaks a piece of it.
    expect(h.emitter.deltas.length).toBeGreaterThan(5);
    expect(h.emitter.deltas.every((d) => !SECRET.split('-').some((part) => d.content.includes(part)))).toBe(true);
    expect(h.emitter.deltas.map((d) => d.content).join('')).toBe('The secret is <secret_hidden> as you asked.');

    const everything = JSON.stringify([h.emitter.events.slice(1), h.emitter.deltas, h.commandOutput, h.llm.requests.map((r) => r.body)]);
    expect(everything).not.toContain(SECRET);
    expect(h.commandOutput.join('')).toContain('<secret_hidden>');
    // What the LLM was sent (the user's own message included) is masked too.
    expect(h.llm.requests[0]!.body.messages[1]).toMatchObject({ content: 'my password is <secret_hidden>' });
    expect(h.llm.requests[0]!.body.messages[0]!.content).toContain('MY_SECRET');

    // The real value is in the shell.
    const direct = await h.sandbox.shell.execute({ command: 'test "$MY_SECRET" = "' + SECRET + '" && echo match' });
    expect(direct.output).toContain('match');
  });

  test('a stream masker holds back a possible secret start until the next chunk decides', () => {
    const stream = new SecretMasker({ A: 'abcdef', B: 'xyz' }).stream();
    expect(stream.push('hello ab')).toBe('hello ');
    expect(stream.push('cd')).toBe('');
    expect(stream.push('ef and ab')).toBe('<secret_hidden> and ');
    expect(stream.push('x')).toBe('ab'); // "x" may start "xyz"
    expect(stream.push('y')).toBe('');
    expect(stream.push('z!')).toBe('<secret_hidden>!');
    expect(stream.push('xy')).toBe('');
    expect(stream.flush()).toBe('xy');
  });
});

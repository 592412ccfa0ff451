import { describe, expect, test } from 'vitest';
import { parseToolCall } from '../parse-tool-call.ts';
import { toolsFor } from './index.ts';

const parse = (args: Record<string, unknown>) => parseToolCall({ tool: 'execute_bash', args }, toolsFor());

describe('execute_bash: what models send, read leniently', () => {
  test.each([
    [true, 'true'],
    [false, 'false'],
    ['True', 'true'],
    [' FALSE ', 'false'],
    ['true', 'true'],
  ])('is_input %j becomes %j', (isInput, expected) => {
    expect(parse({ command: 'cat', is_input: isInput })).toMatchObject({ args: { command: 'cat', is_input: expected } });
  });

  test.each([
    ['30', 30],
    [' 2.5 ', 2.5],
    [45, 45],
    ['-5', -5],
  ])('timeout %j becomes %j (the shell refuses one that is not positive)', (timeout, expected) => {
    expect(parse({ command: 'sleep 1', timeout })).toMatchObject({ args: { timeout: expected } });
  });

  test('an empty timeout and null fields mean "not given"', () => {
    expect(parse({ command: 'ls', timeout: '', is_input: null })).toStrictEqual({ tool: expect.anything(), args: { command: 'ls' } });
    expect(parse({ command: 'ls', timeout: null })).toStrictEqual({ tool: expect.anything(), args: { command: 'ls' } });
  });

  test('unknown fields are dropped', () => {
    expect(parse({ command: 'ls', security_risk: 'LOW' })).toStrictEqual({ tool: expect.anything(), args: { command: 'ls' } });
  });

  test('what cannot be read is an ERROR observation naming the field', () => {
    expect(parse({ command: 'ls', timeout: 'soon' })).toStrictEqual({
      error: 'ERROR: Invalid arguments for execute_bash:\n✖ Invalid input: expected number, received string\n  → at timeout',
    });
    expect(parse({ command: 'ls', is_input: 'yes' })).toStrictEqual({
      error: 'ERROR: Invalid arguments for execute_bash:\n✖ Invalid option: expected one of "true"|"false"\n  → at is_input',
    });
  });

  test('a missing command is refused as before', () => {
    expect(parse({ cmd: 'ls' })).toStrictEqual({
      error: 'ERROR: Invalid arguments for execute_bash:\n✖ Invalid input: expected string, received undefined\n  → at command',
    });
  });
});

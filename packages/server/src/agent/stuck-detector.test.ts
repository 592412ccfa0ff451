import type { Event } from '@metisai/sdk/schemas';
import { describe, expect, test } from 'vitest';
import { isStuck } from './stuck-detector.ts';

let seq = 0;
const stored = (event: Record<string, unknown>) => ({ id: `id-${++seq}`, seq, conversation_id: 'c', created_at: 't', ...event }) as Event;

/** A log: a user message, then one action + observation per `[command, output]` step. */
const log = (steps: Array<[string, string, number?]>): Event[] => [
  stored({ type: 'message', role: 'user', content: 'task' }),
  ...steps.flatMap(([command, output, exit = 0], i) => [
    stored({ type: 'action', tool_call_id: `t${i}`, tool: 'execute_bash', args: { command } }),
    stored({ type: 'observation', tool_call_id: `t${i}`, content: output, exit_code: exit }),
  ]),
];

describe('isStuck', () => {
  test('the same step four times with the same output', () => {
    expect(
      isStuck(
        log([
          ['a', 'x'],
          ['a', 'x'],
          ['a', 'x'],
        ]),
      ),
    ).toBe(false);
    expect(
      isStuck(
        log([
          ['a', 'x'],
          ['a', 'x'],
          ['a', 'x'],
          ['a', 'x'],
        ]),
      ),
    ).toBe(true);
  });

  test('the same call failing three times, outputs differing', () => {
    expect(
      isStuck(
        log([
          ['a', 'e1', 1],
          ['a', 'e2', 1],
          ['a', 'e3', 1],
        ]),
      ),
    ).toBe(true);
    expect(
      isStuck(
        log([
          ['a', 'e1', 1],
          ['a', 'ok', 0],
          ['a', 'e3', 1],
        ]),
      ),
    ).toBe(false);
  });

  test('a cycle of two or three steps with repeating outputs, three times over', () => {
    const ab: Array<[string, string]> = [
      ['a', 'x'],
      ['b', 'y'],
    ];
    expect(isStuck(log([...ab, ...ab]))).toBe(false);
    expect(isStuck(log([...ab, ...ab, ...ab]))).toBe(true);
    const abc: Array<[string, string]> = [
      ['a', 'x'],
      ['b', 'y'],
      ['c', 'z'],
    ];
    expect(isStuck(log([...abc, ...abc, ['a', 'x'], ['b', 'y']]))).toBe(false);
    expect(isStuck(log([...abc, ...abc, ...abc]))).toBe(true);
  });

  test('a cycle whose outputs change is progress, not stuck', () => {
    expect(
      isStuck(
        log([
          ['a', '1'],
          ['b', 'y'],
          ['a', '2'],
          ['b', 'y'],
          ['a', '3'],
          ['b', 'y'],
        ]),
      ),
    ).toBe(false);
  });

  test('only the current task counts', () => {
    const ab: Array<[string, string]> = [
      ['a', 'x'],
      ['b', 'y'],
    ];
    const events = [...log([...ab, ...ab]), stored({ type: 'message', role: 'user', content: 'again' }), ...log(ab).slice(1)];
    expect(isStuck(events)).toBe(false);
  });
});

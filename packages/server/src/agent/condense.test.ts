import type { Event } from '@metisai/sdk/schemas';
import { describe, expect, test } from 'vitest';
import { condenseBoundary } from './condense.ts';

let seq = 0;
const stored = (event: Record<string, unknown>) => ({ id: `id-${++seq}`, seq, conversation_id: 'c', created_at: 't', ...event }) as Event;
const reply = (i: number) => [
  stored({ type: 'action', tool_call_id: `t${i}`, tool: 'execute_bash', args: { command: String(i) } }),
  stored({ type: 'observation', tool_call_id: `t${i}`, content: `out ${i}` }),
];

describe('condenseBoundary', () => {
  test('keeps the outputs of the two latest replies', () => {
    const events = [stored({ type: 'message', role: 'user', content: 'go' }), ...reply(1), ...reply(2), ...reply(3)];
    expect(condenseBoundary(events, 0)).toBe(3); // the second reply's action
  });

  test('answers `after` when nothing would change', () => {
    const events = [stored({ type: 'message', role: 'user', content: 'go' }), ...reply(1), ...reply(2)];
    expect(condenseBoundary(events, 0)).toBe(0);
  });
});

import { expect, test } from 'vitest';
import { forkPoint } from './conversation-fork.ts';

const log = [
  { seq: 1, type: 'message' as const, payload: { role: 'user' } },
  { seq: 2, type: 'state' as const, payload: { state: 'running' } },
  { seq: 3, type: 'message' as const, payload: { role: 'assistant' } },
  { seq: 4, type: 'action' as const, payload: { tool_call_id: 'a', tool: 'execute_bash' } },
  { seq: 5, type: 'action' as const, payload: { tool_call_id: 'b', tool: 'think' } },
  { seq: 6, type: 'observation' as const, payload: { tool_call_id: 'a' } },
  { seq: 7, type: 'observation' as const, payload: { tool_call_id: 'b' } },
  { seq: 8, type: 'action' as const, payload: { tool_call_id: 'c', tool: 'str_replace_editor' } },
  { seq: 9, type: 'observation' as const, payload: { tool_call_id: 'c' } },
  { seq: 10, type: 'state' as const, payload: { state: 'finished' } },
];

test('a seq between steps is kept; one inside a step snaps back to the last completed step', () => {
  expect(forkPoint(log, 10)).toEqual({ seq: 10, lastSnapshotStep: 9 });
  expect(forkPoint(log, 9)).toEqual({ seq: 9, lastSnapshotStep: 9 });
  // Action c has no observation by 8: back to 7.
  expect(forkPoint(log, 8)).toEqual({ seq: 7, lastSnapshotStep: 6 });
  // Action b is open at 6 although a is observed: back to before both actions.
  expect(forkPoint(log, 6)).toEqual({ seq: 3, lastSnapshotStep: 0 });
  expect(forkPoint(log, 4)).toEqual({ seq: 3, lastSnapshotStep: 0 });
  expect(forkPoint(log, 0)).toEqual({ seq: 0, lastSnapshotStep: 0 });
});

test('only observations of file-changing tools need a snapshot', () => {
  const thinking = log.slice(0, 7).map((event) => (event.seq === 4 ? { ...event, payload: { tool_call_id: 'a', tool: 'think' } } : event));
  expect(forkPoint(thinking, 7)).toEqual({ seq: 7, lastSnapshotStep: 0 });
});

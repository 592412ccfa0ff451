import type { Event, InstructionFile } from '@metisai/sdk/schemas';
import { describe, expect, test } from 'vitest';
import { instructionsChanged } from './repository-instructions.ts';

const file = (path: string, sha256: string, size = 10): InstructionFile => ({ path, size, truncated: false, sha256 });
const loadedEvent = (instructions: InstructionFile[]) =>
  ({ id: 'e', seq: 1, conversation_id: 'c', created_at: '2026-01-01T00:00:00Z', type: 'workspace', phase: 'instructions', instructions }) as Event;

describe('instructionsChanged', () => {
  test('nothing loaded and nothing told before: no event; anything loaded the first time: an event', () => {
    expect(instructionsChanged([], [])).toBe(false);
    expect(instructionsChanged([], [file('AGENTS.md', 'a')])).toBe(true);
  });

  test('compared with the last instructions event by path, size and hash', () => {
    const history = [loadedEvent([file('AGENTS.md', 'a')]), loadedEvent([file('AGENTS.md', 'b')])];
    expect(instructionsChanged(history, [file('AGENTS.md', 'b')])).toBe(false);
    expect(instructionsChanged(history, [file('AGENTS.md', 'a')])).toBe(true);
    expect(instructionsChanged(history, [file('AGENTS.md', 'b', 11)])).toBe(true);
    expect(instructionsChanged(history, [file('AGENTS.md', 'b'), file('.openhands/microagents/repo.md', 'c')])).toBe(true);
    expect(instructionsChanged(history, [])).toBe(true);
  });
});

import { describe, expect, test } from 'vitest';
import { catchUpEvents, catchUpResponses } from './catch-up.ts';

const CONVERSATION = '0192a000-0000-7000-8000-000000000001';
const MESSAGE = '0192a000-0000-7000-8000-000000000002';

describe('catch-up responses', () => {
  test('long text and output are split into parts under NOTIFY’s limit and put back together exactly', () => {
    // ANSI escapes cost 6 bytes each in JSON, astral characters 4: the split counts bytes, never cuts a pair.
    const output = `${'\u001b[31mred\u001b[0m 😀 ligne '.repeat(3000)}end`;
    const text = 'word '.repeat(4000);
    const parts = catchUpResponses(CONVERSATION, 'r1', [
      { message_id: MESSAGE, field: 'reasoning_content', offset: 0, text: 'because' },
      { message_id: MESSAGE, field: 'content', offset: 0, text },
      { tool_call_id: 'call1', field: 'content', offset: 123, text: output },
    ]);
    expect(parts.length).toBeGreaterThan(10);
    for (const [index, part] of parts.entries()) {
      expect(Buffer.byteLength(JSON.stringify(part))).toBeLessThan(8000);
      expect(part).toMatchObject({ part: index, parts: parts.length, request_id: 'r1' });
      for (const piece of part.pieces) expect(piece.text.isWellFormed()).toBe(true);
    }
    const events = catchUpEvents(
      CONVERSATION,
      parts.flatMap((part) => part.pieces),
    );
    expect(events).toEqual([
      { type: 'catch_up', conversation_id: CONVERSATION, message_id: MESSAGE, content: text, reasoning_content: 'because' },
      { type: 'catch_up', conversation_id: CONVERSATION, tool_call_id: 'call1', content: output, offset: 123 },
    ]);
  });

  test('nothing in flight is one empty part; a message without text yet is still in flight', () => {
    expect(catchUpResponses(CONVERSATION, 'r2', [])).toEqual([
      { kind: 'catch_up_response', conversation_id: CONVERSATION, request_id: 'r2', part: 0, parts: 1, pieces: [] },
    ]);
    const parts = catchUpResponses(CONVERSATION, 'r3', [{ message_id: MESSAGE, field: 'content', offset: 0, text: '' }]);
    expect(catchUpEvents(CONVERSATION, parts[0]!.pieces)).toEqual([{ type: 'catch_up', conversation_id: CONVERSATION, message_id: MESSAGE, content: '' }]);
  });
});

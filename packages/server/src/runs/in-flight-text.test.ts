import { describe, expect, test } from 'vitest';
import { InFlightText, OUTPUT_KEPT } from './in-flight-text.ts';

describe('text in flight', () => {
  test('pieces get their offsets in the whole; reasoning and text apart; clear forgets everything', () => {
    const inFlight = new InFlightText();
    expect(inFlight.add('delta', 'm1', 'Hel')).toBe(0);
    expect(inFlight.add('reasoning_delta', 'm1', 'think')).toBe(0);
    expect(inFlight.add('delta', 'm1', 'lo')).toBe(3);
    expect(inFlight.add('output', 'c1', 'out')).toBe(0);
    expect(inFlight.pieces()).toEqual([
      { message_id: 'm1', field: 'reasoning_content', offset: 0, text: 'think' },
      { message_id: 'm1', field: 'content', offset: 0, text: 'Hello' },
      { tool_call_id: 'c1', field: 'content', offset: 0, text: 'out' },
    ]);
    inFlight.clear();
    expect(inFlight.pieces()).toEqual([]);
  });

  test("a long command's output keeps its tail (at least 64 Ki units), with the offset where it starts, never half a surrogate pair", () => {
    const inFlight = new InFlightText();
    let whole = '';
    for (let index = 0; index < 5000; index++) {
      const piece = `${index} 😀 ${'x'.repeat(index % 50)}\n`;
      expect(inFlight.add('output', 'c1', piece)).toBe(whole.length);
      whole += piece;
    }
    const [piece] = inFlight.pieces();
    expect(piece!.text.length).toBeGreaterThanOrEqual(OUTPUT_KEPT);
    expect(piece!.text.length).toBeLessThanOrEqual(OUTPUT_KEPT * 2);
    expect(piece!.offset + piece!.text.length).toBe(whole.length);
    expect(whole.slice(piece!.offset)).toBe(piece!.text);
    expect(piece!.text.isWellFormed()).toBe(true);
  });
});

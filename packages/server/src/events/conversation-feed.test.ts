import type { StreamEvent } from '@metisai/sdk/schemas';
import { describe, expect, test } from 'vitest';
import { Subscriber } from './conversation-feed.ts';

const C = '0192a000-0000-7000-8000-000000000001';
const M = '0192a000-0000-7000-8000-000000000002';
const N = '0192a000-0000-7000-8000-000000000003';
const AT = '2026-11-25T12:00:00.000Z';

const delta = (messageId: string, content: string, offset: number): StreamEvent => ({
  type: 'delta',
  conversation_id: C,
  message_id: messageId,
  content,
  offset,
});

describe('a subscriber caught up on text in flight', () => {
  test('live pieces the catch-up covered are dropped, overlapping ones trimmed, later ones and others passed', () => {
    const sent: StreamEvent[] = [];
    const subscriber = new Subscriber(
      0,
      (event) => sent.push(event),
      () => {},
    );
    // Arrived while the catch-up was awaited.
    subscriber.push(delta(M, 'Hel', 0));
    subscriber.push(delta(M, 'lo wo', 3));
    subscriber.push(delta(N, 'other', 0));
    subscriber.sendCatchUp([{ type: 'catch_up', conversation_id: C, message_id: M, content: 'Hello' }]);
    subscriber.finishReplay();
    subscriber.push(delta(M, 'rld', 8));
    expect(sent).toEqual([
      { type: 'catch_up', conversation_id: C, message_id: M, content: 'Hello' },
      delta(M, ' wo', 5),
      delta(N, 'other', 0),
      delta(M, 'rld', 8),
    ]);
  });

  test('no catch-up is sent for a message already stored (it replays whole); output is placed by offset', () => {
    const sent: StreamEvent[] = [];
    const subscriber = new Subscriber(
      0,
      (event) => sent.push(event),
      () => {},
    );
    const stored = { type: 'message', id: M, seq: 1, conversation_id: C, created_at: AT, role: 'assistant', content: 'Hello' } as StreamEvent;
    subscriber.push(stored);
    subscriber.sendCatchUp([
      { type: 'catch_up', conversation_id: C, message_id: M, content: 'Hel' },
      { type: 'catch_up', conversation_id: C, tool_call_id: 'c1', content: 'tail', offset: 96 },
    ]);
    subscriber.finishReplay();
    subscriber.push({ type: 'output', conversation_id: C, tool_call_id: 'c1', content: 'ta', offset: 96 });
    subscriber.push({ type: 'output', conversation_id: C, tool_call_id: 'c1', content: 'il!', offset: 98 });
    expect(sent).toEqual([
      { type: 'catch_up', conversation_id: C, tool_call_id: 'c1', content: 'tail', offset: 96 },
      stored,
      { type: 'output', conversation_id: C, tool_call_id: 'c1', content: '!', offset: 100 },
    ]);
  });
});

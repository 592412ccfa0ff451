import type { Event } from '@metisai/sdk/schemas';
import { describe, expect, test } from 'vitest';
import { CONDENSED_OUTPUT, formatSize, toChatMessages } from './chat-messages.ts';

let seq = 0;
const stored = (event: Record<string, unknown>): Event =>
  ({ id: `00000000-0000-7000-8000-${String(++seq).padStart(12, '0')}`, seq, conversation_id: 'c', created_at: '2026-01-01T00:00:00Z', ...event }) as Event;

describe('toChatMessages', () => {
  test('an assistant text before actions shares their message; results follow their calls', () => {
    const events = [
      stored({ type: 'message', role: 'user', content: 'go' }),
      stored({ type: 'message', role: 'assistant', content: 'on it', finish_reason: 'tool_calls' }),
      stored({ type: 'action', tool_call_id: 'AAAAAAAA1', tool: 'execute_bash', args: { command: 'ls' } }),
      stored({ type: 'observation', tool_call_id: 'AAAAAAAA1', content: 'a.txt' }),
    ];
    expect(toChatMessages(events)).toEqual([
      { role: 'user', content: 'go' },
      {
        role: 'assistant',
        content: 'on it',
        tool_calls: [{ id: 'AAAAAAAA1', type: 'function', function: { name: 'execute_bash', arguments: '{"command":"ls"}' } }],
      },
      { role: 'tool', tool_call_id: 'AAAAAAAA1', content: 'a.txt' },
    ]);
  });

  test('repeated provider ids (older logs) go out unique and portable, each result with its own call', () => {
    const events = [
      stored({ type: 'message', role: 'user', content: 'go' }),
      stored({ type: 'action', tool_call_id: 'call_0', tool: 'execute_bash', args: { command: 'one' } }),
      stored({ type: 'action', tool_call_id: 'call_0', tool: 'execute_bash', args: { command: 'two' } }),
      stored({ type: 'observation', tool_call_id: 'call_0', content: 'out one' }),
      stored({ type: 'observation', tool_call_id: 'call_0', content: 'out two' }),
    ];
    const messages = toChatMessages(events);
    const calls = (messages[1] as { tool_calls: Array<{ id: string; function: { arguments: string } }> }).tool_calls;
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);
    for (const call of calls) expect(call.id).toMatch(/^[A-Za-z0-9]{9}$/);
    expect(messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: calls[0]!.id, content: 'out one' },
      { role: 'tool', tool_call_id: calls[1]!.id, content: 'out two' },
    ]);
    // Deterministic: the same log gives the same ids every time (prompt caches stay warm).
    expect(toChatMessages(events)).toEqual(messages);
  });

  test('reasoning goes back in its field on tool-call turns only; provider fields ride along', () => {
    const events = [
      stored({ type: 'message', role: 'user', content: 'go' }),
      stored({
        type: 'message',
        role: 'assistant',
        content: '',
        reasoning_content: 'r1',
        reasoning_field: 'reasoning_content',
        provider_fields: { reasoning_details: [1] },
      }),
      stored({
        type: 'action',
        tool_call_id: 'BBBBBBBB1',
        tool: 'finish',
        args: {},
        provider_fields: { extra_content: { google: { thought_signature: 's' } } },
      }),
      stored({ type: 'observation', tool_call_id: 'BBBBBBBB1', content: 'ok' }),
      stored({ type: 'message', role: 'assistant', content: 'done', reasoning_content: 'r2', reasoning_field: 'reasoning_content' }),
    ];
    const messages = toChatMessages(events);
    expect(messages[1]).toMatchObject({ role: 'assistant', content: null, reasoning_content: 'r1', reasoning_details: [1] });
    expect((messages[1] as { tool_calls: unknown[] }).tool_calls[0]).toMatchObject({ extra_content: { google: { thought_signature: 's' } } });
    expect(messages[3]).toEqual({ role: 'assistant', content: 'done' });
  });

  test('think-tag reasoning goes back inside the content; condensed outputs are replaced', () => {
    const events = [
      stored({ type: 'message', role: 'user', content: 'go' }),
      stored({ type: 'message', role: 'assistant', content: 'ok', reasoning_content: 'hmm', reasoning_field: 'think_tag' }),
      stored({ type: 'action', tool_call_id: 'CCCCCCCC1', tool: 'think', args: {} }),
      stored({ type: 'observation', tool_call_id: 'CCCCCCCC1', content: 'long output' }),
    ];
    const messages = toChatMessages(events, 4);
    expect(messages[1]).toMatchObject({ content: '<think>hmm</think>\nok' });
    expect(messages[2]).toMatchObject({ content: CONDENSED_OUTPUT });
  });
});

describe('attachments in a user message', () => {
  test('each attached file is named after the text with its path in the sandbox, size and type; workspace events are not sent', () => {
    const events = [
      stored({ type: 'workspace', phase: 'uploaded', files: [{ path: 'report.pdf', size: 2048, type: 'application/pdf' }] }),
      stored({
        type: 'message',
        role: 'user',
        content: 'read these',
        attachments: [
          { path: 'report.pdf', size: 2048, type: 'application/pdf' },
          { path: 'data/big.bin', size: 5 * 1024 * 1024 + 1, type: 'application/octet-stream' },
          { path: 'one.txt', size: 1, type: 'text/plain' },
        ],
      }),
    ];
    expect(toChatMessages(events, 0, '/workspace')).toEqual([
      {
        role: 'user',
        content:
          'read these\n\n[attached: /workspace/report.pdf, 2 KB, application/pdf]\n[attached: /workspace/data/big.bin, 5 MB, application/octet-stream]\n' +
          '[attached: /workspace/one.txt, 1 byte, text/plain]',
      },
    ]);
  });

  test('sizes as people read them', () => {
    expect([0, 1023, 1024, 1536, 150 * 1024, 1024 ** 3 * 3.25].map(formatSize)).toEqual(['0 bytes', '1023 bytes', '1 KB', '1.5 KB', '150 KB', '3.3 GB']);
  });
});

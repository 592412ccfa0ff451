import { describe, expect, test } from 'vitest';
import { normalizeFinishReason, ReplyAssembler } from './reply-assembler.ts';

const chunk = (delta: unknown, finish: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finish }] });

describe('ReplyAssembler', () => {
  test('chunks with no choices, choices with no delta, and unknown fields are harmless', () => {
    const assembler = new ReplyAssembler();
    assembler.push({ choices: [], prompt_filter_results: [] });
    assembler.push({ choices: [{ index: 0, content_filter_results: {} }] });
    assembler.push(chunk({ content: 'hi' }));
    assembler.push(chunk({}, 'stop'));
    assembler.push({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } });
    expect(assembler.reply()).toMatchObject({ content: 'hi', finishReason: 'stop', usage: { prompt_tokens: 3, completion_tokens: 1 } });
  });

  test('reasoning_content and reasoning are kept apart from the answer, with the field they came in', () => {
    const a = new ReplyAssembler();
    expect(a.push(chunk({ reasoning_content: 'think', content: null }))).toEqual({ text: '', reasoning: 'think' });
    a.push(chunk({ content: 'answer' }, 'stop'));
    expect(a.reply()).toMatchObject({ content: 'answer', reasoning: 'think', reasoningField: 'reasoning_content' });
    const b = new ReplyAssembler();
    b.push(chunk({ reasoning: 'r' }));
    expect(b.reply()).toMatchObject({ reasoning: 'r', reasoningField: 'reasoning' });
  });

  test("OpenRouter's reasoning_details pieces of one block are merged", () => {
    const a = new ReplyAssembler();
    a.push(chunk({ reasoning_details: [{ type: 'reasoning.text', text: 'a', index: 0 }] }));
    a.push(chunk({ reasoning_details: [{ type: 'reasoning.text', text: 'b', index: 0 }] }));
    a.push(chunk({ reasoning_details: [{ type: 'reasoning.text', signature: 's', index: 0 }] }));
    expect(a.reply().providerFields).toEqual({ reasoning_details: [{ type: 'reasoning.text', text: 'ab', signature: 's', index: 0 }] });
  });

  test('a plain chat.completion (message instead of delta) is read the same way', () => {
    const a = new ReplyAssembler();
    a.push({
      choices: [
        { index: 0, message: { content: 'whole', tool_calls: [{ id: 'c', function: { name: 'finish', arguments: '{}' } }] }, finish_reason: 'tool_calls' },
      ],
    });
    expect(a.reply()).toMatchObject({ content: 'whole', finishReason: 'tool_calls', toolCalls: [{ name: 'finish' }] });
  });

  test('finish reasons of other servers map to OpenAI names', () => {
    expect(['end_turn', 'max_tokens', 'tool_use', 'SAFETY', 'weird'].map(normalizeFinishReason)).toEqual([
      'stop',
      'length',
      'tool_calls',
      'content_filter',
      'weird',
    ]);
  });
});

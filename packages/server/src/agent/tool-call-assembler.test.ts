import { describe, expect, test } from 'vitest';
import { ToolCallAssembler } from './tool-call-assembler.ts';

const assemble = (pieces: unknown[]) => {
  const assembler = new ToolCallAssembler();
  for (const piece of pieces) assembler.push(piece);
  return assembler.calls().map(({ providerId, name, arguments: args }) => ({ providerId, name, args }));
};

describe('ToolCallAssembler', () => {
  test("OpenAI's format: index, id and name first, then argument pieces", () => {
    expect(
      assemble([
        { index: 0, id: 'call_a', type: 'function', function: { name: 'execute_bash', arguments: '' } },
        { index: 0, function: { arguments: '{"command":' } },
        { index: 0, function: { arguments: '"ls"}' } },
        { index: 1, id: 'call_b', function: { name: 'think', arguments: '{"thought":"x"}' } },
      ]),
    ).toEqual([
      { providerId: 'call_a', name: 'execute_bash', args: '{"command":"ls"}' },
      { providerId: 'call_b', name: 'think', args: '{"thought":"x"}' },
    ]);
  });

  test('no index: whole calls, and index-less argument pieces continuing the last call', () => {
    expect(
      assemble([
        { id: 'c1', function: { name: 'execute_bash', arguments: '{"command":"a"}' } },
        { id: 'c2', function: { name: 'execute_bash', arguments: '{"comm' } },
        { function: { arguments: 'and":"b"}' } },
      ]),
    ).toEqual([
      { providerId: 'c1', name: 'execute_bash', args: '{"command":"a"}' },
      { providerId: 'c2', name: 'execute_bash', args: '{"command":"b"}' },
    ]);
  });

  test('parallel calls all at index 0 with different ids stay apart', () => {
    expect(
      assemble([
        { index: 0, id: 'x1', function: { name: 'execute_bash' } },
        { index: 0, function: { arguments: '{"command":"one"}' } },
        { index: 0, id: 'x2', function: { name: 'execute_bash' } },
        { index: 0, function: { arguments: '{"command":"two"}' } },
      ]).map((call) => call.args),
    ).toEqual(['{"command":"one"}', '{"command":"two"}']);
  });

  test('the same id and index for every call: a new name after whole arguments starts a new call', () => {
    expect(
      assemble([
        { index: 0, id: 'call_0', function: { name: 'execute_bash', arguments: '{"command":"one"}' } },
        { index: 0, id: 'call_0', function: { name: 'execute_bash', arguments: '{"command":"two"}' } },
      ]).map((call) => call.args),
    ).toEqual(['{"command":"one"}', '{"command":"two"}']);
  });

  test('arguments as a JSON object are encoded', () => {
    expect(assemble([{ index: 0, id: 'o', function: { name: 'finish', arguments: { message: 'hi' } } }])[0]!.args).toBe('{"message":"hi"}');
  });

  test('the complete arguments re-sent at the end, or cumulatively, replace instead of doubling', () => {
    const full = '{"command":"echo hi"}';
    expect(
      assemble([
        { index: 0, id: 'r', function: { name: 'execute_bash', arguments: '' } },
        { index: 0, function: { arguments: '{"command":' } },
        { index: 0, function: { arguments: '"echo hi"}' } },
        { index: 0, function: { arguments: full } },
      ])[0]!.args,
    ).toBe(full);
    expect(
      assemble([
        { index: 0, id: 'r', function: { name: 'execute_bash', arguments: '{"comm' } },
        { index: 0, function: { arguments: '{"command":"ec' } },
        { index: 0, function: { arguments: full } },
      ])[0]!.args,
    ).toBe(full);
    // A whole call repeated with its name is the same call, not a second one.
    expect(
      assemble([
        { index: 0, id: 'r', function: { name: 'execute_bash', arguments: full } },
        { index: 0, id: 'r', function: { name: 'execute_bash', arguments: full } },
      ]),
    ).toHaveLength(1);
  });

  test('incremental pieces that happen to repeat text are appended, not dropped', () => {
    expect(
      assemble([
        { index: 0, id: 'p', function: { name: 'execute_bash', arguments: '{"command":"l' } },
        { index: 0, function: { arguments: 'l' } },
        { index: 0, function: { arguments: ' -l"}' } },
      ])[0]!.args,
    ).toBe('{"command":"ll -l"}');
  });

  test("Gemini's thought signature, also in a metadata-only piece, is kept on its call", () => {
    const assembler = new ToolCallAssembler();
    assembler.push({ id: 'g', function: { name: 'finish', arguments: '{}' }, extra_content: { google: { thought_signature: 'sig' } } });
    assembler.push({ extra_content: { google: { other: 1 } } });
    expect(assembler.calls()[0]!.providerFields).toEqual({ extra_content: { google: { thought_signature: 'sig', other: 1 } } });
  });

  test('junk pieces are ignored and empty ghosts dropped', () => {
    expect(assemble([null, 'x', 3, { index: 0 }])).toEqual([]);
  });
});

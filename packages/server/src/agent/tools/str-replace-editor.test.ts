import { describe, expect, test } from 'vitest';
import { parseToolCall } from '../parse-tool-call.ts';
import { toolsFor } from './index.ts';

const parse = (args: Record<string, unknown>) => parseToolCall({ tool: 'str_replace_editor', args }, toolsFor());
const path = '/workspace/a.py';

describe('str_replace_editor: what models send, read leniently', () => {
  test('an unknown command is an ERROR observation listing the commands (the text the model got before)', () => {
    expect(parse({ command: 'delete', path })).toStrictEqual({
      error:
        'ERROR: Invalid arguments for str_replace_editor:\n✖ Invalid option: expected one of "view"|"create"|"str_replace"|"insert"|"undo_edit"\n  → at command',
    });
  });

  test('a missing path is refused as before', () => {
    expect(parse({ command: 'view' })).toStrictEqual({
      error: 'ERROR: Invalid arguments for str_replace_editor:\n✖ Invalid input: expected string, received undefined\n  → at path',
    });
  });

  test('line numbers sent as strings become integers', () => {
    expect(parse({ command: 'insert', path, insert_line: '3', new_str: 'x' })).toMatchObject({ args: { insert_line: 3 } });
    expect(parse({ command: 'view', path, view_range: ['1', '-1'] })).toMatchObject({ args: { view_range: [1, -1] } });
  });

  test('view_range sent as the text of a JSON array becomes the array', () => {
    expect(parse({ command: 'view', path, view_range: '[1, 50]' })).toMatchObject({ args: { view_range: [1, 50] } });
  });

  test('null fields mean "not given"; the editor then checks each command\'s own parameters', () => {
    expect(parse({ command: 'str_replace', path, old_str: 'a', new_str: null, view_range: null, insert_line: null })).toStrictEqual({
      tool: expect.anything(),
      args: { command: 'str_replace', path, old_str: 'a' },
    });
  });

  test('what cannot be read is an ERROR observation naming the field', () => {
    expect(parse({ command: 'insert', path, insert_line: 'three', new_str: 'x' })).toStrictEqual({
      error: 'ERROR: Invalid arguments for str_replace_editor:\n✖ Invalid input: expected number, received string\n  → at insert_line',
    });
    expect(parse({ command: 'view', path, view_range: '1-5' })).toStrictEqual({
      error: 'ERROR: Invalid arguments for str_replace_editor:\n✖ Invalid input: expected array, received string\n  → at view_range',
    });
  });
});

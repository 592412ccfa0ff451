import { describe, expect, test } from 'vitest';
import { findTextToolCalls } from './text-tool-calls.ts';

const tools = ['execute_bash', 'finish'];

describe('findTextToolCalls', () => {
  test.each([
    ['<tool_call>', 'Sure.\n<tool_call>\n{"name": "execute_bash", "arguments": {"command": "ls"}}\n</tool_call>', 'Sure.'],
    ['<tool_call> unclosed', '<tool_call>{"name": "execute_bash", "arguments": {"command": "ls"}}', ''],
    ['<function=…>', '<function=execute_bash>{"command": "ls"}</function>', ''],
    ['[TOOL_CALLS]', '[TOOL_CALLS] [{"name": "execute_bash", "arguments": {"command": "ls"}}]', ''],
    ['<|python_tag|>', '<|python_tag|>{"name": "execute_bash", "parameters": {"command": "ls"}}<|eom_id|>', ''],
    ['a JSON reply', '```json\n{"name": "execute_bash", "arguments": "{\\"command\\": \\"ls\\"}"}\n```', ''],
  ])('%s', (format, text, content) => {
    const found = findTextToolCalls(text, tools);
    expect(found?.calls.map((call) => [call.name, JSON.parse(call.arguments)])).toEqual([['execute_bash', { command: 'ls' }]]);
    expect(found?.content).toBe(content);
    expect(found?.format).toBe(format.replace(' unclosed', ''));
  });

  test('several calls in one reply', () => {
    const found = findTextToolCalls(
      '<tool_call>{"name":"execute_bash","arguments":{"command":"a"}}</tool_call><tool_call>{"name":"finish","arguments":{"message":"m"}}</tool_call>',
      tools,
    );
    expect(found?.calls.map((call) => call.name)).toEqual(['execute_bash', 'finish']);
  });

  test('a disabled tool, prose, or JSON data are left alone', () => {
    expect(findTextToolCalls('<tool_call>{"name":"rm_rf","arguments":{}}</tool_call>', tools)).toBeUndefined();
    expect(findTextToolCalls('Use {"name": …} to call tools.', tools)).toBeUndefined();
    expect(findTextToolCalls('{"result": 42}', tools)).toBeUndefined();
    expect(findTextToolCalls('', tools)).toBeUndefined();
  });
});

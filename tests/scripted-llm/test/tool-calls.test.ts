import type OpenAI from 'openai';
import { describe, expect, test } from 'vitest';
import { turns, type ChatRequest } from '@metisai/scripted-llm';
import { startWithClient } from './start-with-client.ts';

const tools: OpenAI.Chat.ChatCompletionTool[] = [
  {
    type: 'function',
    function: { name: 'execute_bash', parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
  },
];
const messages = [{ role: 'user' as const, content: 'list the files' }];

describe('tool calls', () => {
  test('returns tool calls in a non-streaming response', async () => {
    const { client } = await startWithClient([turns.toolCall('execute_bash', { command: 'ls -la' }, { id: 'call_abc' })]);
    const completion = await client.chat.completions.create({ model: 'm', messages, tools });

    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]?.message.content).toBeNull();
    expect(completion.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_abc', type: 'function', function: { name: 'execute_bash', arguments: '{"command":"ls -la"}' } },
    ]);
  });

  test('streams a tool call whose argument deltas the raw stream reassembles', async () => {
    const { client } = await startWithClient([turns.toolCall('execute_bash', { command: 'find . -name "*.ts" | head' })]);
    const stream = await client.chat.completions.create({ model: 'm', messages, tools, stream: true });

    const calls: { id?: string; name?: string; arguments: string; deltas: number }[] = [];
    let finishReason: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const delta of choice?.delta.tool_calls ?? []) {
        const call = (calls[delta.index] ??= { arguments: '', deltas: 0 });
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name = delta.function.name;
        if (delta.function?.arguments) {
          call.arguments += delta.function.arguments;
          call.deltas += 1;
        }
      }
      finishReason = choice?.finish_reason ?? finishReason;
    }
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ id: 'call_1_0', name: 'execute_bash' });
    expect(calls[0]?.deltas).toBeGreaterThan(2);
    expect(JSON.parse(calls[0]?.arguments ?? '')).toEqual({ command: 'find . -name "*.ts" | head' });
    expect(finishReason).toBe('tool_calls');
  });

  test('streams several tool calls in one turn, reassembled by the stream helper', async () => {
    const { client } = await startWithClient([
      turns.toolCalls(
        [
          { name: 'execute_bash', arguments: { command: 'ls' } },
          { name: 'execute_bash', arguments: { command: 'cat README.md' }, id: 'call_second' },
        ],
        { content: 'Let me look around.' },
      ),
    ]);
    const stream = client.chat.completions.stream({ model: 'm', messages, tools });
    const argumentDeltas: number[] = [];
    stream.on('tool_calls.function.arguments.delta', (event) => argumentDeltas.push(event.index));
    const completion = await stream.finalChatCompletion();
    const message = completion.choices[0]?.message;

    expect(message?.content).toBe('Let me look around.');
    expect(message?.tool_calls?.map((call) => call.type === 'function' && [call.id, call.function.name, call.function.arguments])).toEqual([
      ['call_1_0', 'execute_bash', '{"command":"ls"}'],
      ['call_second', 'execute_bash', '{"command":"cat README.md"}'],
    ]);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(argumentDeltas.filter((index) => index === 0).length).toBeGreaterThan(1);
    expect(argumentDeltas.filter((index) => index === 1).length).toBeGreaterThan(1);
  });

  test('a function script sees the whole conversation, including tool results', async () => {
    const seen: { index: number; request: ChatRequest }[] = [];
    const { client } = await startWithClient((request, index) => {
      seen.push({ index, request });
      const last = request.messages.at(-1);
      if (last?.role === 'tool') return turns.text(`The command printed: ${String(last.content)} (for ${last.tool_call_id})`);
      return turns.toolCall('execute_bash', { command: 'ls' }, { id: 'call_ls' });
    });

    const first = await client.chat.completions.create({ model: 'm', messages, tools });
    const assistant = first.choices[0]!.message;
    const second = await client.chat.completions.create({
      model: 'm',
      tools,
      messages: [...messages, assistant, { role: 'tool', tool_call_id: 'call_ls', content: 'README.md' }],
    });

    expect(second.choices[0]?.message.content).toBe('The command printed: README.md (for call_ls)');
    expect(seen.map((entry) => entry.index)).toEqual([0, 1]);
    expect(seen[1]?.request.messages[1]?.tool_calls?.[0]?.id).toBe('call_ls');
    expect(seen[1]?.request.tools).toEqual(tools);
  });

  test('delivers a malformed arguments string verbatim', async () => {
    const raw = '{"command": "ls -la", oops';
    const { client } = await startWithClient([turns.toolCall('execute_bash', raw), turns.toolCall('execute_bash', raw)]);

    const completion = await client.chat.completions.create({ model: 'm', messages, tools });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.arguments).toBe(raw);

    const streamed = await client.chat.completions.stream({ model: 'm', messages, tools }).finalChatCompletion();
    const streamedCall = streamed.choices[0]?.message.tool_calls?.[0];
    expect(streamedCall?.type === 'function' && streamedCall.function.arguments).toBe(raw);
    expect(streamed.choices[0]?.message.content).toBeNull();
  });
});

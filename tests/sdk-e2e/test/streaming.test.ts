import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { AbortError, MetisClient, NotFoundError, isRunEnd, type ConversationStreamEvent } from '@metisai/sdk';
import { eventually, startStack, type Stack } from './support/harness.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';

let stack: Stack;
let client: MetisClient;
let token: string;
beforeAll(async () => {
  stack = await startStack();
  const user = await stack.user('streaming');
  client = user.client;
  token = user.token.access_token;
});
afterAll(() => stack?.close());

/** A task of a few steps: text streamed as deltas, commands whose output streams, then finish. */
const slowTask = (steps: number) => [
  ...Array.from({ length: steps }, (_, index) =>
    turns.toolCall('execute_bash', { command: `sleep 0.2; echo step-${index}` }, { content: `Step ${index}, running it now.`, chunkDelayMs: 10 }),
  ),
  turns.toolCall('finish', { message: 'All steps done.' }),
];

const storedOf = (events: ConversationStreamEvent[]) =>
  events.filter((event) => event.type !== 'delta' && event.type !== 'reasoning_delta' && event.type !== 'output' && event.type !== 'catch_up');

describe('run()', () => {
  test('a task (execute_bash `echo hi`, then finish) yields deltas and events, ending with the state event', async () => {
    stack.llm.setScript([
      turns.toolCall('execute_bash', { command: 'echo hi' }, { content: 'I will say hi.', chunkDelayMs: 5 }),
      turns.toolCall('finish', { message: 'Said hi.' }),
    ]);
    const conversation = await client.conversations.create({ title: 'run' });
    const deltas: string[] = [];
    const viaCallback: string[] = [];
    const events: ConversationStreamEvent[] = [];
    const run = client.conversations.run(conversation.id, 'Say hi with bash', {
      onDelta: (delta) => deltas.push(delta.content),
      onEvent: (event) => viaCallback.push(event.type),
    });
    for await (const event of run) events.push(event);

    expect(events[0]).toMatchObject({ type: 'message', role: 'user', content: 'Say hi with bash', seq: 1 });
    expect(deltas.join('')).toBe('I will say hi.');
    expect(events.filter((event) => event.type === 'delta')).toHaveLength(deltas.length);
    expect(viaCallback).toEqual(events.map((event) => event.type));
    const action = events.find((event) => event.type === 'action');
    expect(action).toMatchObject({ tool: 'execute_bash', args: { command: 'echo hi' } });
    expect(events.find((event) => event.type === 'observation')).toMatchObject({ content: expect.stringContaining('hi'), exit_code: 0 });
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'state', state: 'finished' });
    expect(isRunEnd(last)).toBe(true);
    // Every stored event of the run, exactly once and in order: the same as the log.
    const log = (await client.conversations.events.list(conversation.id, { limit: 1000 })).data;
    expect(storedOf(events)).toEqual(log);

    // A second run on the same conversation starts after the current last seq; finalState() drains it.
    stack.llm.setScript([turns.text('Hello again.')]);
    const second = client.conversations.run(conversation.id, 'hello?');
    const end = await second.finalState();
    expect(end).toMatchObject({ type: 'state', state: 'idle' });
    expect(end.seq).toBe(await client.conversations.events.lastSeq(conversation.id));
  });

  test('a refused message rejects the run, and the stream is closed', async () => {
    const agent = await client.agents.create({ name: 'stopped-agent' });
    const conversation = await client.conversations.create({ agent_id: agent.id });
    await expect(client.conversations.run(conversation.id, 'hi').finalState()).rejects.toMatchObject({ code: 'agent_not_running' });
    await eventually(async () => stack.server.events.subscriberCount === 0);
  });
});

describe('stream()', () => {
  test('resumes with Last-Event-ID after the connection is cut mid-run: no loss, no duplicate', async () => {
    const proxy = await startTcpProxy(stack.url);
    try {
      const lastEventIds: Array<string | null> = [];
      const viaProxy = new MetisClient({
        baseUrl: proxy.url,
        token,
        onRequest: (request) => {
          if (request.headers.get('accept') === 'text/event-stream') lastEventIds.push(request.headers.get('last-event-id'));
        },
      });
      stack.llm.setScript(slowTask(4));
      const conversation = await client.conversations.create({ title: 'resume' });
      const stream = viaProxy.conversations.stream(conversation.id, { reconnectBackoff: { initialMs: 50, maxMs: 200 } });
      const received: ConversationStreamEvent[] = [];
      let severed = 0;
      void stream.connected.then(() => client.conversations.messages.create(conversation.id, { content: 'do the steps' }));
      for await (const event of stream) {
        received.push(event);
        // Cut the connection twice: after the first and the third observation.
        const observations = received.filter((item) => item.type === 'observation').length;
        if ((observations === 1 && severed === 0) || (observations === 3 && severed === 1)) {
          severed += 1;
          proxy.sever();
        }
        if (isRunEnd(event) && event.state !== 'idle') break;
      }
      expect(severed).toBe(2);
      expect(stream.reconnects).toBeGreaterThanOrEqual(2);
      expect(proxy.connections).toBeGreaterThanOrEqual(3);
      // The reconnects sent the seq of the last stored event received.
      expect(lastEventIds[0]).toBeNull();
      expect(lastEventIds.slice(1).every((id) => id !== null && Number(id) > 0)).toBe(true);

      const log = (await client.conversations.events.list(conversation.id, { limit: 1000 })).data;
      const seqs = storedOf(received).map((event) => event.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(storedOf(received)).toEqual(log);
      expect(log.at(-1)).toMatchObject({ type: 'state', state: 'finished' });
    } finally {
      await proxy.close();
    }
  });

  test('run() survives a cut connection too', async () => {
    const proxy = await startTcpProxy(stack.url);
    try {
      const viaProxy = new MetisClient({ baseUrl: proxy.url, token });
      stack.llm.setScript(slowTask(2));
      const conversation = await client.conversations.create();
      const events: ConversationStreamEvent[] = [];
      const reconnects: Array<{ attempt: number; lastEventId: number | undefined }> = [];
      const run = viaProxy.conversations.run(conversation.id, 'go', { onReconnect: ({ attempt, lastEventId }) => reconnects.push({ attempt, lastEventId }) });
      for await (const event of run) {
        events.push(event);
        if (event.type === 'action' && events.filter((item) => item.type === 'action').length === 1) proxy.sever();
      }
      const log = (await client.conversations.events.list(conversation.id, { limit: 1000 })).data;
      expect(storedOf(events)).toEqual(log);
      expect(events.at(-1)).toMatchObject({ type: 'state', state: 'finished' });
      // onReconnect saw the cut, with the seq of the last stored event the run had yielded before it.
      const firstAction = events.find((event) => event.type === 'action') as { seq: number };
      expect(reconnects.length).toBeGreaterThanOrEqual(1);
      expect(reconnects[0]!.attempt).toBe(1);
      expect(reconnects[0]!.lastEventId).toBeGreaterThanOrEqual(firstAction.seq);
    } finally {
      await proxy.close();
    }
  });

  test('`after` replays only later events; breaking out closes the connection', async () => {
    stack.llm.setScript([turns.text('One.')]);
    const conversation = await client.conversations.create();
    await client.conversations.run(conversation.id, 'first').finalState();
    const last = await client.conversations.events.lastSeq(conversation.id);
    expect(last).toBeGreaterThanOrEqual(3);

    const seen: number[] = [];
    for await (const event of client.conversations.stream(conversation.id, { after: 1 })) {
      const seq = (event as { seq?: number }).seq!;
      seen.push(seq);
      if (seq === last) break;
    }
    expect(seen).toEqual(Array.from({ length: last - 1 }, (_, index) => index + 2));
    await eventually(async () => stack.server.events.subscriberCount === 0);
  });

  test('aborting the signal mid-stream ends it with AbortError and closes the connection', async () => {
    stack.llm.setScript([turns.hang()]);
    const conversation = await client.conversations.create();
    const controller = new AbortController();
    const stream = client.conversations.stream(conversation.id, { signal: controller.signal });
    const seen: string[] = [];
    // Settled into a value at once: the abort may come before the message's answer does.
    const consumed = (async () => {
      for await (const event of stream) {
        seen.push(event.type);
        if (event.type === 'state' && event.state === 'running') controller.abort();
      }
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    await client.conversations.messages.create(conversation.id, { content: 'hang' });
    expect(await consumed).toBeInstanceOf(AbortError);
    expect(seen).toEqual(['message', 'state']);
    await eventually(async () => stack.server.events.subscriberCount === 0);

    // run() with a signal rejects the same way; abort() of a stream ends it quietly.
    await client.conversations.stop(conversation.id);
    await eventually(async () => (await client.conversations.get(conversation.id)).state === 'stopped');
    stack.llm.setScript([turns.hang()]);
    const runController = new AbortController();
    const run = client.conversations.run(conversation.id, 'hang again', {
      signal: runController.signal,
      onEvent: (event) => event.type === 'state' && runController.abort(),
    });
    await expect(run.finalState()).rejects.toBeInstanceOf(AbortError);
    const quiet = client.conversations.stream(conversation.id);
    let count = 0;
    for await (const _ of quiet) {
      count += 1;
      quiet.abort();
    }
    expect(count).toBe(1);
    await client.conversations.stop(conversation.id);
    await eventually(async () => stack.server.events.subscriberCount === 0);
  });

  test('a missing conversation is a NotFoundError before the stream starts', async () => {
    const stream = client.conversations.stream('0192a000-0000-7000-8000-000000000000');
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(NotFoundError);
  });
});

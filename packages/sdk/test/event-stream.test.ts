import { describe, expect, test } from 'vitest';
import { AuthenticationError, EventStream, MetisClient, StreamEndedError, isKnownEvent, type UnknownEvent } from '../src/index.ts';
import { readServerSentEvents, toStreamEvent } from '../src/core/event-stream.ts';
import { fakeFetch, fakeJwt, json, sseResponse } from './support/fakes.ts';

const CONV = '0192a000-0000-7000-8000-000000000001';
const MSG = '0192a000-0000-7000-8000-0000000000aa';
const stored = (seq: number, extra: Record<string, unknown> = {}) => ({
  id: `0192a000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
  seq,
  conversation_id: CONV,
  created_at: '2026-11-25T12:00:00.000Z',
  type: 'message',
  role: 'user',
  content: `m${seq}`,
  ...extra,
});
const frame = (event: Record<string, any>) => `${event.seq === undefined ? '' : `id: ${event.seq}\n`}event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

const streamOf = (text: string, chunkSize: number) => {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += chunkSize) controller.enqueue(bytes.slice(i, i + chunkSize));
      controller.close();
    },
  });
};

describe('readServerSentEvents', () => {
  const canned =
    ': welcome\n\n' +
    'id: 1\nevent: message\ndata: {"a":1}\n\n' +
    ': ping\n\n' +
    'event: delta\ndata: line one\ndata: line two\n\n' +
    'id: 2\r\nevent: state\r\ndata: {"b":"é✓"}\r\n\r\n' +
    'data: no event name\n\n';

  test.each([1, 3, 7, 1000])('ids, events, comments and multi-line data, read in %i-byte chunks', async (size) => {
    const comments: string[] = [];
    const messages = [];
    for await (const message of readServerSentEvents(streamOf(canned, size), undefined, (comment) => comments.push(comment.trim()))) messages.push(message);
    expect(messages).toEqual([
      { id: '1', event: 'message', data: '{"a":1}' },
      { id: undefined, event: 'delta', data: 'line one\nline two' },
      { id: '2', event: 'state', data: '{"b":"é✓"}' },
      { id: undefined, event: undefined, data: 'no event name' },
    ]);
    expect(comments).toEqual(['welcome', 'ping']);
  });
});

describe('toStreamEvent', () => {
  test('known types are validated; wrong ones are invalid_response', () => {
    expect(toStreamEvent({ id: '1', event: 'message', data: JSON.stringify(stored(1)) })).toMatchObject({ type: 'message', seq: 1 });
    expect(() => toStreamEvent({ id: '1', event: 'message', data: JSON.stringify({ ...stored(1), seq: 'one' }) })).toThrow(
      expect.objectContaining({ code: 'invalid_response' }),
    );
    expect(() => toStreamEvent({ id: undefined, event: 'delta', data: 'not json' })).toThrow(expect.objectContaining({ code: 'invalid_response' }));
  });

  test('an unknown type passes through as { type, ...raw }; unknown fields of known types are kept', () => {
    const event = toStreamEvent({ id: '9', event: 'plan', data: JSON.stringify({ type: 'plan', seq: 9, steps: ['a'] }) });
    expect(event).toEqual({ type: 'plan', seq: 9, steps: ['a'] });
    expect(isKnownEvent(event)).toBe(false);
    expect((event as unknown as UnknownEvent).steps).toEqual(['a']);
    const known = toStreamEvent({ id: '1', event: 'message', data: JSON.stringify(stored(1, { tokens: 3 })) });
    expect((known as any).tokens).toBe(3);
  });
});

describe('EventStream over a fake fetch', () => {
  test('reconnects after a broken connection with Last-Event-ID, with no loss and no duplicate', async () => {
    const { fetch, requests } = fakeFetch((request, index) => {
      if (index === 0)
        return sseResponse([frame(stored(1)), frame({ type: 'delta', conversation_id: CONV, message_id: MSG, content: 'x' }), frame(stored(2))], {
          error: true,
        });
      if (index === 1) return json({ error: { code: 'internal_error', message: 'boom' } }, 503);
      // The server replays from Last-Event-ID; an overlapping event must not be yielded twice.
      return sseResponse([frame(stored(2)), frame(stored(3)), ': ping\n\n', frame(stored(4, { type: 'state', state: 'finished' }))]);
    });
    const client = new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'metis_key', fetch });
    const reconnects: Array<number | undefined> = [];
    const stream = client.conversations.stream(CONV, {
      reconnectBackoff: { initialMs: 1, maxMs: 5 },
      onReconnect: ({ lastEventId }) => reconnects.push(lastEventId),
    });
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.type === 'delta' ? 'delta' : String((event as { seq?: number }).seq));
      if (event.type === 'state') break;
    }
    expect(seen).toEqual(['1', 'delta', '2', '3', '4']);
    expect(requests.map((request) => request.headers.get('last-event-id'))).toEqual([null, '2', '2']);
    expect(requests[0]!.headers.get('accept')).toBe('text/event-stream');
    expect(requests[0]!.headers.get('authorization')).toBe('Bearer metis_key');
    expect(reconnects).toEqual([2, 2]);
    expect(stream.controller.signal.aborted).toBe(true);
  });

  test('`after` is sent as Last-Event-ID; a 401 is not retried; abort() ends quietly', async () => {
    const { fetch, requests } = fakeFetch((request, _, signal) =>
      request.headers.get('last-event-id') === '7'
        ? json({ error: { code: 'unauthorized', message: 'no' } }, 401)
        : sseResponse([frame(stored(1))], { signal }),
    );
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch });
    await expect(async () => {
      for await (const _ of client.conversations.stream(CONV, { after: 7 })) void _;
    }).rejects.toBeInstanceOf(AuthenticationError);
    expect(requests).toHaveLength(1);

    const stream = client.conversations.stream(CONV);
    const seen = [];
    for await (const event of stream) {
      seen.push(event);
      stream.abort();
    }
    expect(seen).toHaveLength(1);
  });

  test('an idle connection (no data, not even pings) is replaced', async () => {
    const { fetch, requests } = fakeFetch((_, index) => (index === 0 ? sseResponse([frame(stored(1))]) : sseResponse([frame(stored(2))])));
    const stream = new MetisClient({ baseUrl: 'http://metis.test', fetch }).conversations.stream(CONV, {
      idleTimeoutMs: 50,
      reconnectBackoff: { initialMs: 1, maxMs: 1 },
    });
    const seqs = [];
    for await (const event of stream) {
      seqs.push((event as { seq?: number }).seq);
      if (seqs.length === 2) break;
    }
    expect(seqs).toEqual([1, 2]);
    expect(requests[1]!.headers.get('last-event-id')).toBe('1');
  });

  test('stream_end / stream_max_age reopens the stream at once with Last-Event-ID, without yielding it', async () => {
    const end = { type: 'stream_end', conversation_id: CONV, code: 'stream_max_age', message: 'old' };
    const { fetch, requests } = fakeFetch((_, index, signal) =>
      index === 0 ? sseResponse([frame(stored(1)), frame(end)], { end: true }) : sseResponse([frame(stored(2))], { signal }),
    );
    const stream = new MetisClient({ baseUrl: 'http://metis.test', fetch }).conversations.stream(CONV, { maxReconnects: 0 });
    const seen: unknown[] = [];
    for await (const event of stream) {
      seen.push(event.type);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['message', 'message']);
    expect(requests.map((request) => request.headers.get('last-event-id'))).toEqual([null, '1']);
    expect(stream.reconnects).toBe(1);
  });

  test.each(['token_revoked', 'token_expired', 'token_stale'])(
    'stream_end / %s ends the iteration with a StreamEndedError, without reconnecting',
    async (code) => {
      const end = { type: 'stream_end', conversation_id: CONV, code, message: 'gone' };
      const { fetch, requests } = fakeFetch(() => sseResponse([frame(stored(1)), frame(end)], { end: true }));
      const stream = new MetisClient({ baseUrl: 'http://metis.test', fetch }).conversations.stream(CONV);
      const seen: unknown[] = [];
      const error = await (async () => {
        for await (const event of stream) seen.push(event.type);
      })().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StreamEndedError);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).toMatchObject({ code, message: 'gone' });
      expect(seen).toEqual(['message']);
      expect(requests).toHaveLength(1);
    },
  );

  test('stream_end / token_expired reopens the stream on a new token when the client has a token provider', async () => {
    const end = { type: 'stream_end', conversation_id: CONV, code: 'token_expired', message: 'expired' };
    const { fetch, requests } = fakeFetch((_, index, signal) =>
      index === 0 ? sseResponse([frame(stored(1)), frame(end)], { end: true }) : sseResponse([frame(stored(2))], { signal }),
    );
    let tokens = 0;
    const provider = () => fakeJwt({ n: ++tokens, exp: Math.floor(Date.now() / 1000) + 600 });
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch, token: provider });
    const stream = client.conversations.stream(CONV, { maxReconnects: 0 });
    const seen: unknown[] = [];
    for await (const event of stream) {
      seen.push(event.type);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['message', 'message']);
    expect(requests.map((request) => request.headers.get('last-event-id'))).toEqual([null, '1']);
  });

  test('an EventStream iterates once', () => {
    const stream = new EventStream(async () => sseResponse([]));
    stream[Symbol.asyncIterator]();
    expect(() => stream[Symbol.asyncIterator]()).toThrow(TypeError);
  });
});

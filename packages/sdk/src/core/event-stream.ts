import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { backoffMs, sleep, type BackoffOptions } from '../internal/backoff.ts';
import { StreamEventSchema, type StreamEndEvent, type StreamEvent } from '../schemas/event.ts';
import { validate } from '../internal/validate.ts';
import { AbortError, ConnectionError, MetisError, RateLimitError, ServerError, StreamEndedError, TimeoutError, invalidResponse } from './errors.ts';

/**
 * An event of a type this SDK version does not know (sent by a newer server), passed through unvalidated as
 * `{ type, ...raw }`. Streams are typed with the known union (`StreamEvent`) so that `switch (event.type)` narrows;
 * such events reach the `default:` branch, and `isKnownEvent()` tells them apart at runtime.
 */
export interface UnknownEvent {
  type: string;
  seq?: number;
  [field: string]: unknown;
}

/**
 * What a conversation's stream yields: stored events and ephemeral `delta`/`reasoning_delta`/`output`, and — first
 * after (re)connecting mid-answer — one `catch_up` per message or command in flight, with what streamed so far (seed
 * the message with it; the live pieces that follow continue at their `offset`). See `UnknownEvent` for newer types.
 * `stream_end` is the server's, handled by `EventStream` and never yielded.
 */
export type ConversationStreamEvent = Exclude<StreamEvent, StreamEndEvent>;

const KNOWN_TYPES = new Set(['message', 'action', 'observation', 'state', 'error', 'delta', 'reasoning_delta', 'output', 'catch_up', 'stream_end']);

/** False for an event whose type this SDK version does not know (a newer server's `UnknownEvent`). */
export const isKnownEvent = (event: { type: string }): boolean => KNOWN_TYPES.has(event.type);

/** One server-sent event as parsed from the wire. */
export interface ServerSentEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/**
 * Parses a `text/event-stream` body into messages (`id:`, `event:`, multi-line `data:`). Comments (`: ping`) go to
 * `onComment`. The only user of eventsource-parser in the SDK.
 */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  onChunk?: () => void,
  onComment?: (comment: string) => void,
  signal?: AbortSignal,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const queue: ServerSentEvent[] = [];
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => queue.push({ id: message.id, event: message.event, data: message.data }),
    ...(onComment ? { onComment } : {}),
  });
  const reader = body.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>).getReader();
  // Not every fetch errors the body when its request is aborted: cancelling ends a pending read.
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onChunk?.();
      parser.feed(value);
      while (queue.length > 0) yield queue.shift()!;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => {});
  }
}

/** Turns the `data:` of a conversation's stream into a typed event, checked against the schemas. */
export function toStreamEvent(message: ServerSentEvent): StreamEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(message.data);
  } catch {
    throw invalidResponse('event stream', `data is not JSON: ${message.data.slice(0, 200)}`);
  }
  const type = (raw as { type?: unknown } | null)?.type ?? message.event;
  if (typeof raw !== 'object' || raw === null || typeof type !== 'string') throw invalidResponse('event stream', 'an event must be an object with a type');
  if (!KNOWN_TYPES.has(type)) return { ...(raw as object), type } as UnknownEvent as unknown as StreamEvent;
  return validate(StreamEventSchema, raw, `event stream (${type})`);
}

export interface EventStreamOptions {
  /** Resume after this `seq` (exclusive): only later stored events are sent. Absent: the whole log, then live. */
  after?: number | undefined;
  /** Aborting ends the iteration with an `AbortError`. */
  signal?: AbortSignal | undefined;
  /** Consecutive failed reconnects before the stream gives up with the last error. Default 10. */
  maxReconnects?: number | undefined;
  /** Reconnect when nothing (not even a `: ping`) arrived for this long. Default 60 000 ms. */
  idleTimeoutMs?: number | undefined;
  /** Backoff between reconnects (exponential with jitter). Default 250 ms doubling to 5 s. */
  reconnectBackoff?: BackoffOptions | undefined;
  /** Called before each reconnect, with the error that ended the connection and the `Last-Event-ID` to send. */
  onReconnect?: ((info: { attempt: number; lastEventId: number | undefined; error: unknown }) => void) | undefined;
  /**
   * The connector renews credentials (a token provider): a stream the server ends with `token_expired` is reopened at
   * once (with `Last-Event-ID`, on a new token) instead of ending. Visitor tokens last 15 minutes at most.
   */
  renewsCredentials?: boolean | undefined;
}

/** Opens one connection: answers the (2xx) `text/event-stream` response. */
export type StreamConnector = (lastEventId: number | undefined, signal: AbortSignal) => Promise<Response>;

const isReconnectable = (error: unknown) =>
  error instanceof ConnectionError || error instanceof TimeoutError || error instanceof ServerError || error instanceof RateLimitError;

const deferred = () => {
  let resolve!: () => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

class IdleTimeout extends Error {
  override name = 'IdleTimeout';
}

/**
 * A conversation's live events, as an async iterable. It reconnects after a network loss with `Last-Event-ID`
 * (exponential backoff with jitter), so every stored event is seen exactly once, in `seq` order; ephemeral events
 * (`delta`, `output`) sent while disconnected are lost. Breaking out of `for await`, or `abort()`, closes the
 * connection and ends the iteration quietly; an aborted `signal` ends it with `AbortError`. When the server ends the
 * stream with a `stream_end` event, a `stream_max_age` end reconnects at once (with `Last-Event-ID`), as does
 * `token_expired` when the credentials renew (`renewsCredentials`); the others (`token_revoked`, `token_expired`,
 * `token_stale`) end the iteration with a `StreamEndedError`. A connection opened
 * while an answer or a command streams yields `catch_up` events (what streamed so far) before the live pieces.
 */
export class EventStream implements AsyncIterable<ConversationStreamEvent> {
  /** Aborted by `abort()`, by breaking out of the loop, and by the caller's `signal`. */
  readonly controller = new AbortController();
  /** `seq` of the last stored event yielded (sent as `Last-Event-ID` on reconnect). */
  lastEventId: number | undefined;
  /** Reconnects made so far. */
  reconnects = 0;

  readonly #connect: StreamConnector;
  readonly #options: EventStreamOptions;
  #isIterating = false;
  #connected = deferred();

  /** @internal */
  constructor(connect: StreamConnector, options: EventStreamOptions = {}) {
    this.#connect = connect;
    this.#options = options;
    this.lastEventId = options.after;
    this.#connected.promise.catch(() => {});
    const { signal } = options;
    if (signal?.aborted) this.controller.abort(signal.reason);
    else signal?.addEventListener('abort', () => this.controller.abort(signal.reason), { once: true });
  }

  /** Resolves once the first connection is open (the response headers arrived); rejects if it never opens. */
  get connected(): Promise<void> {
    return this.#connected.promise;
  }

  /** Closes the connection; the iteration ends without an error. */
  abort(): void {
    this.controller.abort(new AbortError('Stream closed'));
  }

  [Symbol.asyncIterator](): AsyncGenerator<ConversationStreamEvent, void, undefined> {
    if (this.#isIterating) throw new TypeError('An EventStream can be iterated only once');
    this.#isIterating = true;
    return this.#iterate();
  }

  async *#iterate(): AsyncGenerator<ConversationStreamEvent, void, undefined> {
    const maxReconnects = this.#options.maxReconnects ?? 10;
    const idleTimeoutMs = this.#options.idleTimeoutMs ?? 60_000;
    const backoff = this.#options.reconnectBackoff ?? { initialMs: 250, maxMs: 5_000 };
    let failures = 0;
    try {
      for (;;) {
        const connection = new AbortController();
        const signal = AbortSignal.any([this.controller.signal, connection.signal]);
        let idleTimer: ReturnType<typeof setTimeout> | undefined;
        const touch = () => {
          clearTimeout(idleTimer);
          idleTimer = setTimeout(() => connection.abort(new IdleTimeout(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
        };
        let failure: unknown;
        try {
          const response = await this.#connect(this.lastEventId, signal);
          if (!response.body) throw invalidResponse('event stream', 'the response has no body', response.status, response.headers);
          this.#connected.resolve();
          touch();
          let serverEnd: StreamEndEvent | undefined;
          for await (const message of readServerSentEvents(response.body, touch, undefined, signal)) {
            // Events already read must not be yielded once the stream is closed.
            if (signal.aborted) break;
            failures = 0;
            const event = toStreamEvent(message);
            if (event.type === 'stream_end') {
              serverEnd = event;
              break;
            }
            const seq = message.id !== undefined && message.id !== '' ? Number(message.id) : undefined;
            if (seq !== undefined && Number.isSafeInteger(seq)) {
              // Exactly once: a stored event at or before the resume point was already yielded.
              if (this.lastEventId !== undefined && seq <= this.lastEventId) continue;
              this.lastEventId = seq;
            }
            yield event;
          }
          const isRenewable = serverEnd?.code === 'stream_max_age' || (serverEnd?.code === 'token_expired' && this.#options.renewsCredentials === true);
          if (serverEnd && !isRenewable) {
            throw new StreamEndedError({ code: serverEnd.code, message: serverEnd.message, body: serverEnd });
          }
          if (signal.aborted) throw signal.reason;
          // A stream that reached its maximum age is reopened at once, not counted as a failure.
          if (!serverEnd) failure = new ConnectionError('The event stream ended');
        } catch (error) {
          if (this.controller.signal.aborted) return this.#throwIfCallerAborted();
          if (connection.signal.aborted) failure = new TimeoutError(`Event stream idle: ${(connection.signal.reason as Error).message}`);
          else if (error instanceof MetisError) failure = error;
          else failure = new ConnectionError(`Event stream broke: ${error instanceof Error ? error.message : String(error)}`, error);
        } finally {
          clearTimeout(idleTimer);
          connection.abort();
        }
        if (failure === undefined) {
          this.reconnects += 1;
          continue;
        }
        if (!isReconnectable(failure) || failures >= maxReconnects) throw failure;
        failures += 1;
        this.reconnects += 1;
        this.#options.onReconnect?.({ attempt: failures, lastEventId: this.lastEventId, error: failure });
        try {
          await sleep(backoffMs(failures, backoff), this.controller.signal);
        } catch {
          return this.#throwIfCallerAborted();
        }
      }
    } catch (error) {
      this.#connected.reject(error);
      throw error;
    } finally {
      this.#connected.reject(new AbortError('Stream closed'));
      // Breaking out of `for await` lands here: close the connection.
      if (!this.controller.signal.aborted) this.controller.abort(new AbortError('Stream closed'));
    }
  }

  #throwIfCallerAborted(): void {
    const outer = this.#options.signal;
    if (outer?.aborted) throw new AbortError('Stream aborted', outer.reason);
  }
}

import type { CatchUpEvent, StreamEndCode, StreamEndEvent } from '@metisai/sdk/schemas';
import type { AppContext } from './app-state.ts';
import type { EventBus } from '../events/event-bus.ts';
import { SseStream } from '../events/sse-stream.ts';
import type { OpenStreams } from './open-streams.ts';

export interface StreamEventsOptions {
  conversationId: string;
  /** Replay stored events with `seq > after`, then stream live. */
  after: number;
  heartbeatSeconds: number;
  /** The stream ends with `stream_end` / `stream_max_age` after this long (the client reconnects). */
  maxAgeSeconds: number;
  /** The streams of this process, which revocations end. */
  registry: OpenStreams;
  /** Are the credentials still good? Asked once the stream is registered, to close the race with a revocation. */
  isStillAuthorized: () => Promise<boolean>;
  /** Called once when the stream is over, however it ended. */
  onClose?: () => void;
  /** What the conversation's run has in flight, sent (`catch_up`) after the replay and before anything live. */
  catchUp?: (signal: AbortSignal) => Promise<CatchUpEvent[]>;
}

/** Longest `setTimeout` delay Node accepts; later expiries are caught by the max age first. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Answers the request with a server-sent events stream of the conversation: headers go out at once, events are
 * written unbuffered, and the subscription ends when the client goes away, the bus closes (server shutdown), or the
 * server ends the stream with a final `stream_end` event: its credentials were revoked (`token_revoked`, through the
 * registry), a visitor token went stale (`token_stale`: its agent's embed policy changed), its token expired
 * (`token_expired`), or it reached `maxAgeSeconds` (`stream_max_age`). After the replay, `catchUp` sends what is in
 * flight before the live events. Call it after every check that can fail: from here on the status is 200.
 */
export function streamEvents(ctx: AppContext, bus: EventBus, options: StreamEventsOptions): void {
  const socket = ctx.req.socket;
  socket.setTimeout(0);
  socket.setNoDelay(true);
  socket.setKeepAlive(true);
  ctx.status = 200;
  ctx.type = 'text/event-stream';
  ctx.set({
    'Cache-Control': 'no-cache',
    'X-Accel-Buffering': 'no',
    // A stream ends for good: its connection is not reused, so server.close() never waits on it.
    Connection: 'close',
  });
  // Koa neither buffers nor writes this response: the headers set so far (ours, helmet's, CORS, request id) go
  // out now and every event is written to the socket as it comes.
  ctx.respond = false;
  ctx.res.flushHeaders();
  const sse = new SseStream(ctx.res, options.heartbeatSeconds * 1000);
  const principal = ctx.state.principal;
  const end = (code: StreamEndCode, message: string) => {
    if (sse.isClosed) return;
    const event: StreamEndEvent = { type: 'stream_end', conversation_id: options.conversationId, code, message };
    sse.send(event);
    sse.end();
  };
  const subscription = bus.subscribe(options.conversationId, {
    after: options.after,
    onEvent: (event) => sse.send(event),
    onEnd: (error) => {
      if (error) ctx.state.log.warn({ err: error }, 'event stream ended by an error');
      sse.end();
    },
    ...(options.catchUp ? { catchUp: options.catchUp } : {}),
  });
  const forget = options.registry.add({ principal, end });
  const maxAgeMs = options.maxAgeSeconds * 1000;
  const expiresInMs = principal.expiresAt ? principal.expiresAt.getTime() - Date.now() : Number.POSITIVE_INFINITY;
  const timer =
    expiresInMs <= maxAgeMs
      ? setTimeout(() => end('token_expired', 'The access token of this stream expired'), Math.max(0, Math.min(expiresInMs, MAX_TIMER_MS)))
      : setTimeout(() => end('stream_max_age', 'The stream reached its maximum age; reconnect with Last-Event-ID'), Math.min(maxAgeMs, MAX_TIMER_MS));
  sse.onClose = () => {
    clearTimeout(timer);
    forget();
    subscription.close();
    options.onClose?.();
  };
  // A revocation that came between the credential check and the registration above would be missed: check again.
  // Tracked like the stream's cleanup, so that shutdown waits for this read before the database closes.
  options.registry.track(
    options.isStillAuthorized().then(
      (isAuthorized) => {
        if (isAuthorized) return;
        if (principal.kind === 'visitor') end('token_stale', "The agent's embed policy changed; open a new visitor session");
        else end('token_revoked', 'The credentials of this stream were revoked');
      },
      (error: unknown) => ctx.state.log.warn({ err: error }, 'could not recheck the credentials of an event stream'),
    ),
  );
}

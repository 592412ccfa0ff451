import type { AppContext } from './app-state.ts';
import type { EventBus } from '../events/event-bus.ts';
import { SseStream } from '../events/sse-stream.ts';

export interface StreamEventsOptions {
  conversationId: string;
  /** Replay stored events with `seq > after`, then stream live. */
  after: number;
  heartbeatSeconds: number;
}

/**
 * Answers the request with a server-sent events stream of the conversation: headers go out at once, events are
 * written unbuffered, and the subscription ends when the client goes away or the bus closes (server shutdown).
 * Call it after every check that can fail: from here on the status is 200.
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
  const subscription = bus.subscribe(options.conversationId, {
    after: options.after,
    onEvent: (event) => sse.send(event),
    onEnd: (error) => {
      if (error) ctx.state.log.warn({ err: error }, 'event stream ended by an error');
      sse.end();
    },
  });
  sse.onClose = () => subscription.close();
}

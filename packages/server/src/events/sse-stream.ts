import type { ServerResponse } from 'node:http';
import type { StreamEvent } from '@metisai/sdk/schemas';

/** A client this far behind is cut off; it reconnects with `Last-Event-ID` and replays from Postgres. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** A feed hands the same event object to all its clients: it is serialised once. */
const formatted = new WeakMap<StreamEvent, string>();

/** One event in the `text/event-stream` format: stored events carry `id:` (their `seq`), deltas do not. */
export function formatSseEvent(event: StreamEvent): string {
  let text = formatted.get(event);
  if (text === undefined) {
    text = !('seq' in event)
      ? `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`
      : `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    formatted.set(event, text);
  }
  return text;
}

/**
 * Writes server-sent events straight to the response (no intermediate stream: a feed writes each event to every
 * client): events, `: ping` heartbeats while open, and one `onClose` whether the client went away, it fell too
 * far behind, or the server ended the stream.
 */
export class SseStream {
  readonly #response: ServerResponse;
  onClose: (() => void) | undefined;
  #heartbeat: NodeJS.Timeout;
  #isClosed = false;

  /** Headers must have been sent (or be ready to go with the first write). */
  constructor(response: ServerResponse, heartbeatMs: number) {
    this.#response = response;
    this.#heartbeat = setInterval(() => this.#write(': ping\n\n'), heartbeatMs);
    response.once('close', () => this.#handleClose());
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  send(event: StreamEvent): void {
    this.#write(formatSseEvent(event));
  }

  /** Ends the response once what was written has been sent. */
  end(): void {
    if (this.#isClosed) return;
    this.#response.end();
    this.#handleClose();
  }

  #write(chunk: string): void {
    if (this.#isClosed) return;
    this.#response.write(chunk);
    if (this.#response.writableLength > MAX_BUFFERED_BYTES) this.end();
  }

  #handleClose(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearInterval(this.#heartbeat);
    this.onClose?.();
  }
}

import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One thing a wire turn sends, verbatim and in order:
 * - `{ data }`: a `data:` line (an object is JSON-encoded, a string sent as is), then a blank line;
 * - `{ comment }`: an SSE comment line (`: OPENROUTER PROCESSING`);
 * - `{ raw }`: bytes exactly as given;
 * - `{ done: true }`: `data: [DONE]`;
 * - `{ pauseMs }`: silence for that long;
 * - `{ keepAlive: { comment, everyMs, forMs } }`: a comment every `everyMs` for `forMs` (a slow model at work);
 * - `{ stall: true }`: no more bytes until the client goes away;
 * - `{ close: true }`: end the response here (no `[DONE]` unless one was sent);
 * - `{ reset: true }`: destroy the socket (the client sees a connection reset mid-stream).
 */
export type WireItem =
  | { data: unknown }
  | { comment: string }
  | { raw: string }
  | { done: true }
  | { pauseMs: number }
  | { keepAlive: { comment?: string; everyMs: number; forMs: number } }
  | { stall: true }
  | { close: true }
  | { reset: true };

/**
 * A provider's answer replayed as recorded: the status, headers and either a whole `body` (a JSON completion, an
 * HTML error page) or a list of SSE `events`. The stream ends after the last item (add `{ done: true }` first to send
 * `[DONE]`).
 */
export interface WireSpec {
  /** Default 200. */
  status?: number;
  /** Default `content-type: text/event-stream` for `events`, `application/json` for `body` objects. */
  headers?: Record<string, string>;
  /** A body sent whole: a string as is, anything else as JSON. */
  body?: unknown;
  events?: WireItem[];
  /** Pause between events (default 0). */
  chunkDelayMs?: number;
}

const waitForAbort = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

/** Writes a wire spec to the response. */
export const serveWire = async (res: ServerResponse, spec: WireSpec, signal: AbortSignal): Promise<void> => {
  if (spec.body !== undefined) {
    const isText = typeof spec.body === 'string';
    res.writeHead(spec.status ?? 200, { 'content-type': isText ? 'text/plain' : 'application/json', ...spec.headers });
    res.end(isText ? spec.body : JSON.stringify(spec.body));
    return;
  }
  res.writeHead(spec.status ?? 200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...spec.headers });
  res.flushHeaders();
  let first = true;
  for (const item of spec.events ?? []) {
    if (!first && spec.chunkDelayMs) await sleep(spec.chunkDelayMs, undefined, { signal });
    first = false;
    if ('data' in item) res.write(`data: ${typeof item.data === 'string' ? item.data : JSON.stringify(item.data)}\n\n`);
    else if ('comment' in item) res.write(`: ${item.comment}\n\n`);
    else if ('raw' in item) res.write(item.raw);
    else if ('done' in item) res.write('data: [DONE]\n\n');
    else if ('pauseMs' in item) await sleep(item.pauseMs, undefined, { signal });
    else if ('keepAlive' in item) {
      const { comment = 'keep-alive', everyMs, forMs } = item.keepAlive;
      for (let waited = 0; waited < forMs; waited += everyMs) {
        res.write(`: ${comment}\n\n`);
        await sleep(everyMs, undefined, { signal });
      }
    } else if ('stall' in item) return waitForAbort(signal);
    else if ('close' in item) break;
    else if ('reset' in item) {
      res.socket?.resetAndDestroy();
      return;
    }
  }
  res.end();
};

import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

export interface GitHttpClientOptions {
  /**
   * The `fetch` every request goes through: the server passes its egress guard's (`EgressGuard.fetch`), which checks
   * addresses when they connect and refuses redirects.
   */
  fetch: typeof fetch;
  /** Aborts every request (and the body being read). */
  signal: AbortSignal;
  /**
   * Called with the size of every chunk of every response body as it arrives; a throw aborts the body being read (and
   * so the clone) with that error — how a size cap is enforced.
   */
  onReceived(bytes: number): void;
}

async function collect(body: AsyncIterableIterator<Uint8Array>): Promise<Buffer<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks) as Buffer<ArrayBuffer>;
}

/** The body of `response` chunk by chunk, each counted by `onReceived` before it is handed on. */
async function* counted(body: ReadableStream<Uint8Array> | null, onReceived: (bytes: number) => void): AsyncIterableIterator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onReceived(value.byteLength);
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * An HTTP client for isomorphic-git (its `http` option) built on a given `fetch`: the clone's requests go through the
 * server's egress guard, and every byte received is counted. Request bodies (the small want/have negotiation) are sent
 * whole; response bodies stream.
 */
export function gitHttpClient(options: GitHttpClientOptions): HttpClient {
  return {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      const method = request.method ?? 'GET';
      const signal = request.signal ? AbortSignal.any([request.signal, options.signal]) : options.signal;
      const body = request.body ? await collect(request.body) : undefined;
      const response = await options.fetch(request.url, { method, headers: request.headers, body, signal });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return {
        url: response.url || request.url,
        method,
        statusCode: response.status,
        statusMessage: response.statusText,
        headers,
        body: counted(response.body, options.onReceived),
      };
    },
  };
}

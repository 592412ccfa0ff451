const base64url = (value: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(value)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** An unsigned JWT-looking token with these claims. */
export const fakeJwt = (claims: Record<string, unknown>) => `${base64url('{"alg":"HS256","typ":"JWT"}')}.${base64url(JSON.stringify(claims))}.c2lnbmF0dXJl`;

export interface Recorded {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

/** A `fetch` answered by `handler`, recording every request. */
export function fakeFetch(handler: (request: Recorded, index: number, signal: AbortSignal) => Response | Promise<Response>) {
  const requests: Recorded[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const recorded: Recorded = { method: request.method, url: new URL(request.url), headers: request.headers, body: await request.text() };
    requests.push(recorded);
    if (request.signal.aborted) throw request.signal.reason;
    return handler(recorded, requests.length - 1, init?.signal ?? request.signal);
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A `text/event-stream` response that sends `chunks` (strings) one by one, then stays open (or ends with `end`). */
export function sseResponse(chunks: string[], options: { end?: boolean; error?: boolean; signal?: AbortSignal } = {}) {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(encoder.encode(chunk));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (options.error) controller.error(new TypeError('terminated'));
      else if (options.end) controller.close();
      options.signal?.addEventListener('abort', () => {
        try {
          controller.error(options.signal!.reason);
        } catch {}
      });
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

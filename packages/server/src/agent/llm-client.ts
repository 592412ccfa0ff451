import OpenAI, { type APIError } from 'openai';

/** Longest error body kept for describing a failure (the rest is never read into memory twice). */
const MAX_ERROR_BODY_CHARS = 16_384;

/**
 * Error bodies by the response's `Headers` object, which `APIError.headers` is. The `openai` client only keeps a body
 * shaped `{ error: {…} }`; other servers answer `{ message }` (vLLM), `{ error: "…" }` (Ollama, older llama.cpp),
 * `{ detail }` (FastAPI proxies) or an HTML page (nginx), so the raw text is kept here to describe them.
 */
const errorBodies = new WeakMap<Headers, string>();

/** The raw body of an HTTP error the provider answered (capped), when the client made the request. */
export const errorBodyOf = (err: APIError): string | undefined => (err.headers ? errorBodies.get(err.headers) : undefined);

/** `fetch` (through `base`, redirects never followed) that keeps a copy of error bodies for `errorBodyOf`. */
const keepErrorBodies =
  (base: typeof fetch): typeof fetch =>
  async (input, init) => {
    const response = await base(input, { ...init, redirect: 'error' });
    if (!response.ok) {
      const text = await response
        .clone()
        .text()
        .catch(() => '');
      errorBodies.set(response.headers, text.slice(0, MAX_ERROR_BODY_CHARS));
    }
    return response;
  };

/**
 * The `openai` client for an OpenAI-compatible endpoint, with its own retries off (the loop retries, visibly).
 * `timeoutMs` bounds the wait for the response headers; the stream itself is bounded by `CallDeadlines`. Requests go
 * through `fetch` (the server's egress guard; default the global one) and never follow a redirect.
 */
export function createLlmClient(settings: { baseURL: string; apiKey: string; timeoutMs: number; fetch?: typeof fetch }): OpenAI {
  return new OpenAI({
    baseURL: settings.baseURL,
    apiKey: settings.apiKey,
    maxRetries: 0,
    timeout: settings.timeoutMs,
    fetch: keepErrorBodies(settings.fetch ?? fetch),
  });
}

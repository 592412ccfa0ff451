import ky, { type KyInstance } from 'ky';
import type * as z from 'zod/mini';
import { AbortError, ConnectionError, MetisError, TimeoutError, invalidResponse } from './errors.ts';
import type { FinalRequestOptions, Query, RequestOptions } from './request-options.ts';
import { backoffMs, parseRetryAfterMs, sleep } from '../internal/backoff.ts';
import { jwtExpiryMs } from '../internal/jwt.ts';
import { validate } from '../internal/validate.ts';

/** Answers an access token; called again shortly before the current one expires, and once after a 401. */
export type TokenProvider = () => string | Promise<string>;

export interface ClientOptions {
  /** Root URL of the MetisAI server, e.g. `https://metis.example.com` (`/api/v1` is added; a URL already ending in it is kept). */
  baseUrl: string;
  /** A long-lived API key (`metis_…`), for server-to-server use. */
  apiKey?: string | undefined;
  /**
   * An access token, or a function answering one (e.g. minted by your backend). A provider is called before the first
   * request, again when the token's JWT `exp` is less than 30 s away, and once more after a 401.
   */
  token?: string | TokenProvider | undefined;
  /** Per-attempt timeout in milliseconds. Default 60 000. For a stream it bounds the wait for the response headers. */
  timeoutMs?: number | undefined;
  /** Retries on connection errors, timeouts, 408, 429 and 5xx. Default 2. */
  maxRetries?: number | undefined;
  /** A `fetch` implementation; default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
  /** Headers sent with every request. */
  headers?: Record<string, string> | undefined;
  /** Called with every outgoing request (every attempt), e.g. for logging. */
  onRequest?: ((request: Request) => void | Promise<void>) | undefined;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/** A `Retry-After` longer than this is ignored in favour of the usual backoff. */
const MAX_RETRY_AFTER_MS = 60_000;
/** A provider's token is renewed when it expires within this window. */
const TOKEN_REFRESH_MARGIN_MS = 30_000;

const apiPrefix = (baseUrl: string) => {
  const root = baseUrl.replace(/\/+$/, '');
  return root.endsWith('/api/v1') ? root : `${root}/api/v1`;
};

/**
 * The transport every client is built on: base URL, credentials (token, provider or API key), retries, timeouts and
 * error mapping. It has no resources: `MetisClient` adds them all, a lean client (`@metisai/sdk/lean`) only some.
 */
export class ApiClient {
  /** `…/api/v1`, without a trailing slash. */
  readonly apiUrl: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;

  readonly #ky: KyInstance;
  readonly #headers: Record<string, string>;
  #credential: string | TokenProvider | undefined;
  #cached: { token: string; expiresAtMs: number | undefined } | undefined;
  #refreshing: Promise<string> | undefined;

  constructor(options: ClientOptions) {
    if (!options?.baseUrl) throw new TypeError('MetisClient: `baseUrl` is required');
    if (options.apiKey !== undefined && options.token !== undefined) throw new TypeError('MetisClient: give `apiKey` or `token`, not both');
    this.apiUrl = apiPrefix(options.baseUrl);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxRetries = options.maxRetries ?? 2;
    this.#headers = { ...options.headers };
    this.#credential = options.token ?? options.apiKey;
    const customFetch = options.fetch;
    const onRequest = options.onRequest;
    this.#ky = ky.create({
      prefix: this.apiUrl,
      retry: 0,
      throwHttpErrors: false,
      // Looked up per call, so a fetch patched after construction is used.
      fetch: (input, init) => (customFetch ?? globalThis.fetch)(input, init),
      hooks: onRequest ? { beforeRequest: [async ({ request }) => void (await onRequest(request))] } : {},
    });
  }

  /** Whether the credential is a token provider, which renews expired tokens (a stream can then outlive its token). */
  get hasTokenProvider(): boolean {
    return typeof this.#credential === 'function';
  }

  /**
   * Replaces the credential: an access token, an API key, a token provider, or `undefined` to send none.
   * `auth.login()` and `auth.register()` call it with the new access token; `auth.logout()` clears it.
   */
  setToken(token: string | TokenProvider | undefined): void {
    this.#credential = token;
    this.#cached = undefined;
    this.#refreshing = undefined;
  }

  /** The `Authorization` value to send, asking the provider for a new token when needed. */
  /** @internal The headers every request carries (credentials included), for transports other than `fetch` (XHR uploads). */
  async requestHeaders(): Promise<Record<string, string>> {
    const authorization = await this.#authorization(false);
    return { Accept: 'application/json', ...this.#headers, ...(authorization ? { Authorization: authorization } : {}) };
  }

  async #authorization(forceRefresh: boolean): Promise<string | undefined> {
    const credential = this.#credential;
    if (credential === undefined) return undefined;
    if (typeof credential === 'string') return `Bearer ${credential}`;
    const cached = this.#cached;
    const isFresh = cached && (cached.expiresAtMs === undefined || cached.expiresAtMs - Date.now() > TOKEN_REFRESH_MARGIN_MS);
    if (cached && isFresh && !forceRefresh) return `Bearer ${cached.token}`;
    // One provider call at a time, shared by concurrent requests.
    this.#refreshing ??= (async () => {
      try {
        const token = await credential();
        if (this.#credential === credential) this.#cached = { token, expiresAtMs: jwtExpiryMs(token) };
        return token;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return `Bearer ${await this.#refreshing}`;
  }

  /**
   * Sends one request, with retries, and answers the (2xx) `Response` unread. Non-2xx answers throw the matching
   * `MetisError` subclass. Used by the resources; public for endpoints the SDK does not wrap yet.
   */
  async fetchResponse(options: FinalRequestOptions): Promise<Response> {
    const { method, signal } = options;
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const idempotencyKey = method === 'post' ? (options.idempotencyKey ?? crypto.randomUUID()) : undefined;
    let hasRefreshedToken = false;
    let retries = 0;
    for (;;) {
      if (signal?.aborted) throw new AbortError(undefined, signal.reason);
      const authorization = await this.#authorization(false);
      const headers: Record<string, string> = {
        Accept: 'application/json',
        ...this.#headers,
        ...(authorization ? { Authorization: authorization } : {}),
        ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
        ...options.headers,
      };
      let response: Response;
      try {
        const timeoutMs = options.timeoutMs ?? this.timeoutMs;
        response = await this.#ky(options.path, {
          method,
          headers,
          searchParams: toSearchParams(options.query),
          ...(options.rawBody !== undefined
            ? { body: options.rawBody, ...(options.rawBody instanceof ReadableStream ? { duplex: 'half' } : {}) }
            : options.body === undefined
              ? {}
              : { json: options.body }),
          timeout: timeoutMs === 0 ? false : timeoutMs,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        const mapped = toTransportError(error, signal);
        if (mapped instanceof AbortError || retries >= maxRetries) throw mapped;
        retries += 1;
        await sleepOrAbort(backoffMs(retries), signal);
        continue;
      }
      if (response.ok) return response;

      const body = await readBody(response);
      if (response.status === 401 && typeof this.#credential === 'function' && !hasRefreshedToken) {
        // The token may have been revoked or expired early: ask the provider once more.
        hasRefreshedToken = true;
        await this.#authorization(true);
        continue;
      }
      const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
      // A quota is not freed by waiting: `quota_exceeded` (429) is not retried.
      const isRetryable = (RETRYABLE_STATUS.has(response.status) && code !== 'quota_exceeded') || code === 'idempotency_key_in_progress';
      if (isRetryable && retries < maxRetries) {
        retries += 1;
        const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
        const delayMs = retryAfterMs !== undefined && retryAfterMs <= MAX_RETRY_AFTER_MS ? retryAfterMs : backoffMs(retries);
        await sleepOrAbort(delayMs, signal);
        continue;
      }
      throw MetisError.fromResponse(response.status, body, response.headers);
    }
  }

  /**
   * Sends a request and answers its JSON body, checked against `schema` (the body itself is returned, unknown
   * fields included). Without a schema, answers `undefined` (204).
   */
  async request<S extends z.ZodMiniType>(options: FinalRequestOptions & { schema: S }): Promise<z.infer<S>>;
  async request(options: FinalRequestOptions & { schema?: undefined }): Promise<void>;
  async request(options: FinalRequestOptions & { schema?: z.ZodMiniType | undefined }): Promise<unknown> {
    const response = await this.fetchResponse(options);
    const what = `${options.method.toUpperCase()} ${options.path}`;
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw toTransportError(error, options.signal);
    }
    if (!options.schema) return undefined;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw invalidResponse(what, 'the body is not JSON', response.status, response.headers, text.slice(0, 500));
    }
    return validate(options.schema, data, what, response.status, response.headers);
  }

  /** `GET` a path under `/api/v1`, checked against `schema`. */
  get<S extends z.ZodMiniType>(path: string, schema: S, options?: RequestOptions & { query?: Query | undefined }): Promise<z.infer<S>> {
    return this.request({ ...options, method: 'get', path, schema });
  }
}

const toSearchParams = (query: Query | undefined): Record<string, string> | undefined => {
  if (!query) return undefined;
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params[key] = String(value);
  return params;
};

const readBody = async (response: Response): Promise<unknown> => {
  try {
    const text = await response.text();
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
};

const sleepOrAbort = async (ms: number, signal: AbortSignal | undefined) => {
  try {
    await sleep(ms, signal);
  } catch (error) {
    throw new AbortError(undefined, error);
  }
};

/** Maps what `fetch`/ky throw to the SDK's classes. */
export function toTransportError(error: unknown, signal: AbortSignal | undefined): MetisError {
  if (error instanceof MetisError) return error;
  if (signal?.aborted) return new AbortError(undefined, signal.reason ?? error);
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return new TimeoutError(undefined, error);
  if (name === 'AbortError') return new AbortError(undefined, error);
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectionError(`Connection error: ${message}`, error);
}

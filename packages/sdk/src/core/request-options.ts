/** Options every method takes as its last argument. */
export interface RequestOptions {
  /** Aborts the request (or stream): the call rejects with `AbortError`. */
  signal?: AbortSignal | undefined;
  /** Per-attempt timeout in milliseconds (0: none); overrides the client's `timeoutMs`. Uploads have none by default. */
  timeoutMs?: number | undefined;
  /** Extra headers for this call; they override the client's. */
  headers?: Record<string, string> | undefined;
  /** Retries of this call; overrides the client's `maxRetries`. */
  maxRetries?: number | undefined;
  /** `Idempotency-Key` of a POST; one is generated (and reused by every retry) when absent. */
  idempotencyKey?: string | undefined;
}

/** Query parameters; `undefined` values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** Everything one HTTP call needs. */
export interface FinalRequestOptions extends RequestOptions {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  query?: Query | undefined;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is, instead of `body` (a file upload); a stream is sent half-duplex. */
  rawBody?: BodyInit | undefined;
}

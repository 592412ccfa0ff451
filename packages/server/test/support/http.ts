/** A tiny HTTP client for tests: JSON in, status + JSON + headers out. */
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
  /** The body as received, before parsing. */
  text: string;
}

export class Http {
  readonly baseUrl: string;
  token: string | undefined;
  /** Sees every reply of this client and of those made from it with `as()`. */
  onReply: ((reply: Reply) => void) | undefined;

  constructor(baseUrl: string, token?: string, onReply?: (reply: Reply) => void) {
    this.baseUrl = baseUrl;
    this.token = token;
    this.onReply = onReply;
  }

  as(token: string | undefined) {
    return new Http(this.baseUrl, token, this.onReply);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    this.onReply?.({ status: response.status, body: parsed, headers: response.headers, text });
    return { status: response.status, body: parsed as T, headers: response.headers, text };
  }

  get = <T = any>(path: string, headers?: Record<string, string>) => this.request<T>('GET', path, undefined, headers);
  post = <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => this.request<T>('POST', path, body, headers);
  put = <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => this.request<T>('PUT', path, body, headers);
  delete = <T = any>(path: string, headers?: Record<string, string>) => this.request<T>('DELETE', path, undefined, headers);
}

let counter = 0;
/** A unique email for this run. */
export const uniqueEmail = (label = 'user') => `${label}-${process.pid}-${Date.now()}-${counter++}@example.com`;

/** Registers a new user and answers a client authenticated as them. */
export async function registerUser(http: Http, label?: string, password = 'correct horse battery') {
  const email = uniqueEmail(label);
  const reply = await http.post('/api/v1/auth/register', { email, password, name: label ?? 'Test User' });
  if (reply.status !== 201) throw new Error(`register failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return { http: http.as(reply.body.access_token), email, password, user: reply.body.user, token: reply.body.access_token as string };
}

/** Polls `check` until it returns a truthy value (no fixed sleeps in tests). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

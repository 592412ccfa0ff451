import { expect } from 'vitest';
import { eventually, Http, type Reply } from '../support/http.ts';

/** Origins the tests' pages come from. */
export const SITE = 'https://shop.example.com';
export const OTHER_SITE = 'https://evil.example.net';

/** Creates an agent of `owner` with embedding on (and `config`); answers its id. */
export async function embeddableAgent(owner: Http, config: Record<string, unknown> = {}, embed: Record<string, unknown> = {}): Promise<string> {
  const reply = await owner.post('/api/v1/agents', { name: 'Embedded', config: { ...config, embed: { enabled: true, ...embed } } });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body.id as string;
}

/** Starts the agent and waits until it runs. */
export async function startAgent(owner: Http, agentId: string): Promise<void> {
  expect((await owner.post(`/api/v1/agents/${agentId}/start`)).status).toBe(202);
  await eventually(async () => (await owner.get(`/api/v1/agents/${agentId}`)).body.status === 'running', 20_000);
}

/** A publishable key of the agent for `origins`; answers `{ id, key, … }`. */
export async function publishableKey(owner: Http, agentId: string, origins: string[] = [SITE]): Promise<{ id: string; key: string }> {
  const reply = await owner.post(`/api/v1/agents/${agentId}/publishable-keys`, { allowed_origins: origins });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
}

/** `POST /embed/sessions` as a page of `origin` would send it (no credentials; `origin` null sends no Origin). */
export const openSession = (baseUrl: string, body: Record<string, unknown>, origin: string | null = SITE): Promise<Reply> =>
  new Http(baseUrl).post('/api/v1/embed/sessions', body, origin === null ? {} : { origin });

/** A visitor's client: its token, sent from `origin` (a page's requests carry it; null: no Origin). */
export class VisitorClient {
  readonly http: Http;
  readonly origin: string | null;

  constructor(baseUrl: string, token: string, origin: string | null = SITE) {
    this.http = new Http(baseUrl, token);
    this.origin = origin;
  }

  from(origin: string | null): VisitorClient {
    return new VisitorClient(this.http.baseUrl, this.http.token!, origin);
  }

  #headers(extra: Record<string, string> = {}) {
    return { ...(this.origin === null ? {} : { origin: this.origin }), ...extra };
  }

  get = (path: string, headers?: Record<string, string>) => this.http.get(path, this.#headers(headers));
  post = (path: string, body?: unknown, headers?: Record<string, string>) => this.http.post(path, body, this.#headers(headers));
  delete = (path: string) => this.http.delete(path, this.#headers());

  /** `PUT /embed/conversations/{id}/files/content` with `data` as the raw body (fetch sends its Content-Length). */
  async upload(conversationId: string, path: string, data: string): Promise<Reply> {
    const url = `${this.http.baseUrl}/api/v1/embed/conversations/${conversationId}/files/content?path=${encodeURIComponent(path)}`;
    const response = await fetch(url, {
      method: 'PUT',
      headers: this.#headers({ 'content-type': 'application/octet-stream', authorization: `Bearer ${this.http.token}` }),
      body: data,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers, text };
  }
}

/** A new visitor of the key's agent, with its session. */
export async function newVisitor(baseUrl: string, key: string, origin = SITE) {
  const reply = await openSession(baseUrl, { publishable_key: key }, origin);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  const session = reply.body as { token: string; expires_at: string; visitor: { id: string; resume_key: string } };
  return { ...session, client: new VisitorClient(baseUrl, session.token, origin) };
}

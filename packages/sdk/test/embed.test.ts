import { describe, expect, test } from 'vitest';
import { VisitorClient, visitorTokenProvider, type ConversationStreamEvent } from '../src/embed.ts';
import { VisitorFiles } from '../src/files.ts';
import { MetisClient } from '../src/index.ts';
import { fakeFetch, fakeJwt, json, sseResponse } from './support/fakes.ts';

const ID = (n: number) => `0192a000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const AT = '2026-11-25T12:00:00.000Z';
const KEY = { id: ID(5), agent_id: ID(1), key: 'pk_abc', allowed_origins: ['https://shop.example.com'], created_at: AT, rotated_at: null };
const CONVERSATION = {
  id: ID(2),
  agent_id: ID(1),
  visitor_id: ID(3),
  title: null,
  state: 'idle',
  last_seq: 0,
  usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, llm_calls: 0 },
  created_at: AT,
  updated_at: AT,
};

describe('publishable keys and server-minted tokens (owner side)', () => {
  test('client.agents.publishableKeys mirrors /agents/{id}/publishable-keys; createEmbedToken posts the token request', async () => {
    const { fetch, requests } = fakeFetch((request) => {
      if (request.url.pathname.endsWith('/embed-tokens')) return json({ token: 't', expires_at: AT, visitor: { id: ID(3) } }, 201);
      if (request.method === 'DELETE') return new Response(null, { status: 204 });
      if (request.method === 'GET' && request.url.pathname.endsWith('/publishable-keys')) return json({ data: [KEY], has_more: false, next_after: null });
      return json(KEY);
    });
    const client = new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'metis_k', fetch });
    const keys = client.agents.publishableKeys;
    expect((await keys.list(ID(1))).data).toEqual([KEY]);
    await keys.create(ID(1), { allowed_origins: ['https://shop.example.com'] });
    await keys.get(ID(1), ID(5));
    await keys.update(ID(1), ID(5), { allowed_origins: ['https://b.example.com'] });
    await keys.rotate(ID(1), ID(5));
    await keys.delete(ID(1), ID(5));
    expect(await client.agents.createEmbedToken(ID(1), { user_ref: 'customer-42', origin: 'https://shop.example.com', ttl: 600 })).toEqual({
      token: 't',
      expires_at: AT,
      visitor: { id: ID(3) },
    });
    const base = `/api/v1/agents/${ID(1)}`;
    expect(requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual([
      `GET ${base}/publishable-keys`,
      `POST ${base}/publishable-keys`,
      `GET ${base}/publishable-keys/${ID(5)}`,
      `PUT ${base}/publishable-keys/${ID(5)}`,
      `POST ${base}/publishable-keys/${ID(5)}/rotate`,
      `DELETE ${base}/publishable-keys/${ID(5)}`,
      `POST ${base}/embed-tokens`,
    ]);
    expect(JSON.parse(requests[3]!.body)).toEqual({ allowed_origins: ['https://b.example.com'] });
    expect(JSON.parse(requests[6]!.body)).toEqual({ user_ref: 'customer-42', origin: 'https://shop.example.com', ttl: 600 });
  });
});

describe('the visitor client (@metisai/sdk/embed)', () => {
  test('visitorTokenProvider opens sessions without credentials, as the kept visitor, and reports a new one', async () => {
    const visitor = { id: ID(3), resume_key: 'rk_kept' };
    let sessions = 0;
    const { fetch, requests } = fakeFetch((request) => {
      if (request.url.pathname === '/api/v1/embed/sessions') {
        sessions += 1;
        const token = fakeJwt({ exp: Math.floor(Date.now() / 1000) + (sessions === 1 ? 10 : 900) });
        const body = JSON.parse(request.body);
        return json({ token, expires_at: AT, visitor: body.visitor ?? { id: ID(4), resume_key: 'rk_new' } }, 201);
      }
      return json({ data: [CONVERSATION], has_more: false, next_after: null });
    });
    const seen: unknown[] = [];
    const headers = { Origin: 'https://shop.example.com' };
    const client = new VisitorClient({
      baseUrl: 'http://metis.test',
      fetch,
      token: visitorTokenProvider({ baseUrl: 'http://metis.test', publishableKey: 'pk_abc', visitor, onVisitor: (v) => seen.push(v), headers, fetch }),
      headers,
    });
    expect((await client.embed.conversations.list()).data).toEqual([CONVERSATION]);
    // The first token expires within 30 s: the next call opens a new session first.
    await client.embed.conversations.list();
    const [first, list, second] = requests;
    expect(first!.url.pathname).toBe('/api/v1/embed/sessions');
    expect(first!.headers.get('authorization')).toBeNull();
    expect(first!.headers.get('origin') ?? headers.Origin).toBe('https://shop.example.com');
    expect(JSON.parse(first!.body)).toEqual({ publishable_key: 'pk_abc', visitor });
    expect(list!.headers.get('authorization')).toMatch(/^Bearer /);
    expect(second!.url.pathname).toBe('/api/v1/embed/sessions');
    expect(seen).toEqual([]);

    const fresh: unknown[] = [];
    const provider = visitorTokenProvider({ baseUrl: 'http://metis.test', publishableKey: 'pk_abc', onVisitor: (v) => fresh.push(v), fetch });
    await provider();
    await provider();
    expect(fresh).toEqual([{ id: ID(4), resume_key: 'rk_new' }]);
    expect(JSON.parse(requests.at(-1)!.body)).toEqual({ publishable_key: 'pk_abc', visitor: { id: ID(4), resume_key: 'rk_new' } });
  });

  test('embed.conversations mirrors /embed/conversations; its stream yields catch_up typed', async () => {
    const catchUp = { type: 'catch_up', conversation_id: ID(2), message_id: ID(9), content: 'Hello, wor' };
    const delta = { type: 'delta', conversation_id: ID(2), message_id: ID(9), content: 'ld', offset: 10 };
    const { fetch, requests } = fakeFetch((request, _index, signal) => {
      if (request.url.pathname.endsWith('/events') && request.headers.get('accept') === 'text/event-stream') {
        return sseResponse([`event: catch_up\ndata: ${JSON.stringify(catchUp)}\n\n`, `event: delta\ndata: ${JSON.stringify(delta)}\n\n`], { signal });
      }
      if (request.method === 'DELETE') return new Response(null, { status: 204 });
      if (request.url.pathname.endsWith('/messages')) {
        return json({ id: ID(8), seq: 1, conversation_id: ID(2), created_at: AT, type: 'message', role: 'user', content: 'hi' }, 202);
      }
      return json(CONVERSATION, request.method === 'POST' && request.url.pathname.endsWith('/conversations') ? 201 : 200);
    });
    const client = new VisitorClient({ baseUrl: 'http://metis.test', token: 'visitor-token', fetch });
    const conversations = client.embed.conversations;
    await conversations.create({ title: 'Hi' });
    await conversations.get(ID(2));
    await conversations.messages.create(ID(2), { content: 'hi' });
    await conversations.stop(ID(2));
    await conversations.delete(ID(2));
    const received: ConversationStreamEvent[] = [];
    for await (const event of conversations.stream(ID(2))) {
      received.push(event);
      if (event.type === 'catch_up') expect(event.content).toBe('Hello, wor');
      if (event.type === 'delta') break;
    }
    expect(received).toEqual([catchUp, delta]);
    const base = '/api/v1/embed/conversations';
    expect(requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual([
      `POST ${base}`,
      `GET ${base}/${ID(2)}`,
      `POST ${base}/${ID(2)}/messages`,
      `POST ${base}/${ID(2)}/stop`,
      `DELETE ${base}/${ID(2)}`,
      `GET ${base}/${ID(2)}/events`,
    ]);
  });

  test('VisitorFiles uploads into /embed/conversations; changes and attachments reach the visitor routes', async () => {
    const entry = { name: 'notes.txt', path: 'notes.txt', type: 'file', size: 5, mtime: AT, owner: 'metis' };
    const { fetch, requests } = fakeFetch((request) => {
      if (request.method === 'PUT') return json(entry, 201);
      if (request.url.pathname.endsWith('/changes')) return json({ baseline: null, data: [], truncated: false });
      // The server answers each attachment with its size and media type.
      const body = JSON.parse(request.body) as { content: string; attachments?: { path: string }[] };
      const attachments = body.attachments?.map((file) => ({ ...file, size: 5, type: 'text/plain' }));
      return json({ id: ID(8), seq: 1, conversation_id: ID(2), created_at: AT, type: 'message', role: 'user', ...body, attachments }, 202);
    });
    const client = new VisitorClient({ baseUrl: 'http://metis.test', token: 'visitor-token', fetch });
    expect(await new VisitorFiles(client).upload(ID(2), 'notes.txt', 'hello')).toEqual(entry);
    expect(await client.embed.conversations.changes(ID(2))).toEqual({ baseline: null, data: [], truncated: false });
    const message = await client.embed.conversations.messages.create(ID(2), { content: 'read it', attachments: [{ path: 'notes.txt' }] });
    expect(message.attachments).toEqual([{ path: 'notes.txt', size: 5, type: 'text/plain' }]);
    const base = `/api/v1/embed/conversations/${ID(2)}`;
    expect(requests.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)).toEqual([
      `PUT ${base}/files/content?path=notes.txt`,
      `GET ${base}/changes`,
      `POST ${base}/messages`,
    ]);
    expect(requests[0]!.headers.get('content-type')).toBe('application/octet-stream');
    expect(requests[0]!.body).toBe('hello');
    expect(JSON.parse(requests[2]!.body)).toEqual({ content: 'read it', attachments: [{ path: 'notes.txt' }] });
    expect(requests[0]!.headers.get('authorization')).toBe('Bearer visitor-token');
  });
});

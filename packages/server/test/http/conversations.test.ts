import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, Http, registerUser } from '../support/http.ts';
import { appendEvent } from '../../src/events/event-log.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

let server: ApiServer;
let alice: Http;
beforeAll(async () => {
  server = await startApiServer({ withRunner: true });
  alice = (await registerUser(new Http(server.url), 'conversations')).http;
});
afterAll(() => server.close());

const createConversation = async (body: object = {}) => {
  const reply = await alice.post('/api/v1/conversations', body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
};
const createAgent = async (running: boolean) => {
  const agent = (await alice.post('/api/v1/agents', { name: 'Helper' })).body;
  if (running) {
    expect((await alice.post(`/api/v1/agents/${agent.id}/start`)).status).toBe(202);
    await eventually(async () => (await alice.get(`/api/v1/agents/${agent.id}`)).body.status === 'running');
  }
  return agent;
};
const send = (id: string, content: string, headers?: Record<string, string>) => alice.post(`/api/v1/conversations/${id}/messages`, { content }, headers);

describe('conversations', () => {
  test('create answers 201 with an idle conversation and zero usage', async () => {
    const reply = await alice.post('/api/v1/conversations', { title: '  First  ' });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      id: expect.any(String),
      agent_id: null,
      visitor_id: null,
      title: 'First',
      state: 'idle',
      last_seq: 0,
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, llm_calls: 0 },
      forked_from: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const read = await alice.get(`/api/v1/conversations/${reply.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(reply.body);
  });

  test('with an agent, and listed by agent', async () => {
    const agent = await createAgent(false);
    const other = await createAgent(false);
    const withAgent = await createConversation({ agent_id: agent.id });
    expect(withAgent.agent_id).toBe(agent.id);
    expect(withAgent.title).toBeNull();
    const plain = await createConversation();

    const all = (await alice.get('/api/v1/conversations?limit=100')).body.data.map((c: { id: string }) => c.id);
    expect(all).toEqual(expect.arrayContaining([withAgent.id, plain.id]));
    const filtered = await alice.get(`/api/v1/conversations?agent_id=${agent.id}`);
    expect(filtered.status).toBe(200);
    expect(filtered.body.data.map((c: { id: string }) => c.id)).toEqual([withAgent.id]);
    expect((await alice.get(`/api/v1/conversations?agent_id=${other.id}`)).body.data).toEqual([]);
    expect((await alice.get('/api/v1/conversations?agent_id=nope')).status).toBe(400);
  });

  test('an agent that does not exist is a 404', async () => {
    const reply = await alice.post('/api/v1/conversations', { agent_id: '0190a000-0000-7000-8000-000000000000' });
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('not_found');
  });

  test('PUT renames; null clears the title', async () => {
    const conversation = await createConversation({ title: 'old' });
    const renamed = await alice.put(`/api/v1/conversations/${conversation.id}`, { title: 'new' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.title).toBe('new');
    expect((await alice.get(`/api/v1/conversations/${conversation.id}`)).body.title).toBe('new');
    expect((await alice.put(`/api/v1/conversations/${conversation.id}`, { title: null })).body.title).toBeNull();
    const bad = await alice.put(`/api/v1/conversations/${conversation.id}`, { title: 'x'.repeat(201) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['title']);
  });

  test('DELETE answers 204; the conversation and its events are then 404', async () => {
    const conversation = await createConversation();
    expect((await send(conversation.id, 'hi')).status).toBe(202);
    expect((await alice.delete(`/api/v1/conversations/${conversation.id}`)).status).toBe(204);
    for (const path of ['', '/messages', '/events']) {
      expect((await alice.get(`/api/v1/conversations/${conversation.id}${path}`)).status, path).toBe(404);
    }
    expect((await send(conversation.id, 'again')).status).toBe(404);
    expect((await alice.delete(`/api/v1/conversations/${conversation.id}`)).status).toBe(404);
    const list = await alice.get('/api/v1/conversations?limit=100');
    expect(list.body.data.map((c: { id: string }) => c.id)).not.toContain(conversation.id);
  });
});

describe('messages', () => {
  // This server has no LLM configured: every run ends at once with `llm_not_configured`.
  const settled = (id: string) =>
    eventually(async () => {
      const state = (await alice.get(`/api/v1/conversations/${id}`)).body.state;
      return state !== 'running' ? state : null;
    });

  test('answer 202 with the stored event; the run answering it is logged after it', async () => {
    const conversation = await createConversation();
    const first = await send(conversation.id, 'one');
    expect(first.status).toBe(202);
    expect(first.body).toEqual({
      id: expect.any(String),
      seq: 1,
      conversation_id: conversation.id,
      type: 'message',
      role: 'user',
      content: 'one',
      created_at: expect.any(String),
    });
    expect(await settled(conversation.id)).toBe('error');
    const events = (await alice.get(`/api/v1/conversations/${conversation.id}/events`)).body.data;
    // The message is stored with `state: running` (one transaction), so the failure to resolve the LLM ends with a state.
    expect(events.map((e: { seq: number; type: string }) => [e.seq, e.type])).toEqual([
      [1, 'message'],
      [2, 'state'],
      [3, 'error'],
      [4, 'state'],
    ]);
    expect(events[1]).toMatchObject({ state: 'running', reason: null });
    expect(events[2]).toMatchObject({ code: 'llm_not_configured' });
    expect(events[3]).toMatchObject({ state: 'error', reason: 'llm_not_configured' });
    // No placeholder reply: there is no assistant message.
    const second = await send(conversation.id, 'two');
    expect(second.body.seq).toBe(5);
    await settled(conversation.id);
    const messages = await alice.get(`/api/v1/conversations/${conversation.id}/messages`);
    expect(messages.body).toEqual({ data: [first.body, second.body], has_more: false, next_after: null });
  });

  test('each conversation counts its own seq', async () => {
    const a = await createConversation();
    const b = await createConversation();
    expect((await send(a.id, 'a1')).body.seq).toBe(1);
    expect((await send(b.id, 'b1')).body.seq).toBe(1);
    await settled(a.id);
    expect((await send(a.id, 'a2')).body.seq).toBe(5);
  });

  test('concurrent messages never overlap runs: each is a 202 that starts a run or a 409 conversation_busy that stores nothing', async () => {
    const conversation = await createConversation();
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => send(conversation.id, `m${i}`)));
    const accepted = replies.filter((reply) => reply.status === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    for (const reply of replies.filter((r) => r.status !== 202)) {
      expect(reply.status).toBe(409);
      expect(reply.body.error.code).toBe('conversation_busy');
    }
    await settled(conversation.id);
    const events = (await alice.get(`/api/v1/conversations/${conversation.id}/events?limit=1000`)).body.data;
    expect(events.filter((e: { type: string }) => e.type === 'message')).toHaveLength(accepted.length);
    // Every run ends (its final state event) before the next message starts another one.
    let open = false;
    for (const event of events) {
      if (event.type === 'message') {
        expect(open, JSON.stringify(events.map((e: { seq: number; type: string; state?: string }) => `${e.seq}:${e.type}:${e.state ?? ''}`))).toBe(false);
        open = true;
      }
      if (event.type === 'state' && event.state !== 'running') open = false;
    }
  });

  test('empty, missing or oversized content is a 400 naming content', async () => {
    const conversation = await createConversation();
    for (const body of [{ content: '' }, {}, { content: 5 }, { content: 'x'.repeat(100_001) }]) {
      const reply = await alice.post(`/api/v1/conversations/${conversation.id}/messages`, body);
      expect(reply.status, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual(['content']);
    }
    expect((await alice.get(`/api/v1/conversations/${conversation.id}/events`)).body.data).toEqual([]);
  });

  test('a stopped agent refuses messages with 409 agent_not_running; a running one takes them', async () => {
    const agent = await createAgent(false);
    const conversation = await createConversation({ agent_id: agent.id });
    const refused = await send(conversation.id, 'hello?');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('agent_not_running');

    expect((await alice.post(`/api/v1/agents/${agent.id}/start`)).status).toBe(202);
    await eventually(async () => (await alice.get(`/api/v1/agents/${agent.id}`)).body.status === 'running');
    const accepted = await send(conversation.id, 'hello!');
    expect(accepted.status).toBe(202);
    expect(accepted.body.seq).toBe(1);
    await settled(conversation.id);

    await alice.post(`/api/v1/agents/${agent.id}/stop`);
    await eventually(async () => (await alice.get(`/api/v1/agents/${agent.id}`)).body.status === 'stopped');
    expect((await send(conversation.id, 'still there?')).body.error.code).toBe('agent_not_running');
    const messages = await alice.get(`/api/v1/conversations/${conversation.id}/messages`);
    expect(messages.body.data.map((m: { content: string }) => m.content)).toEqual(['hello!']);
  });
});

describe('event pages', () => {
  let conversation: { id: string };
  beforeAll(async () => {
    conversation = await createConversation();
    // Five messages in the log, written as the runtime writes events (posting would start runs between them).
    for (let i = 1; i <= 5; i++) await appendEvent(server.orm.em.fork(), conversation.id, { type: 'message', role: 'user', content: `m${i}` });
  });

  test('after is an exclusive seq and limit caps the page', async () => {
    const page = await alice.get(`/api/v1/conversations/${conversation.id}/events?after=1&limit=2`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((e: { seq: number }) => e.seq)).toEqual([2, 3]);
    expect(page.body).toMatchObject({ has_more: true, next_after: '3' });
    const next = await alice.get(`/api/v1/conversations/${conversation.id}/events?after=${page.body.next_after}&limit=2`);
    expect(next.body.data.map((e: { seq: number }) => e.seq)).toEqual([4, 5]);
    expect(next.body).toMatchObject({ has_more: false, next_after: null });
    const end = await alice.get(`/api/v1/conversations/${conversation.id}/events?after=5`);
    expect(end.body).toEqual({ data: [], has_more: false, next_after: null });
  });

  test('messages page the same way', async () => {
    const page = await alice.get(`/api/v1/conversations/${conversation.id}/messages?after=3`);
    expect(page.body.data.map((e: { content: string }) => e.content)).toEqual(['m4', 'm5']);
    const first = await alice.get(`/api/v1/conversations/${conversation.id}/messages?limit=1`);
    expect(first.body).toMatchObject({ data: [{ seq: 1 }], has_more: true, next_after: '1' });
  });

  test.each(['after=-1', 'after=abc', 'after=1.5', 'limit=0', 'limit=1001', 'limit=x', 'since=1'])('?%s is a 400', async (query) => {
    for (const path of ['events', 'messages']) {
      const reply = await alice.get(`/api/v1/conversations/${conversation.id}/${path}?${query}`);
      expect(reply.status, path).toBe(400);
      expect(reply.body.error.code).toBe('validation_error');
      expect(reply.body.error.details[0].path).toBe(query.split('=')[0]);
    }
  });
});

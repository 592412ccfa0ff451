import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { MetisClient, type StreamEvent } from '@metisai/sdk';
import { INTERRUPTED_START } from '../../src/services/agents.ts';
import { GatedLifecycle } from '../support/gated-lifecycle.ts';
import { eventually, Http } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
import { eventsOf, startRuntime, waitForState, type Runtime, type Server } from './runtime-harness.ts';

/**
 * Messages sent while the conversation's agent is `starting` wait for it (the item 8): the agent's start is
 * held open by a gated lifecycle until the test lets it finish (or fail).
 */
const lifecycle = new GatedLifecycle();
let rt: Runtime;
beforeAll(async () => {
  rt = await startRuntime({ agentLifecycle: lifecycle });
});
afterAll(async () => {
  lifecycle.starts.open();
  await rt?.close();
});

const FINAL = ['idle', 'finished', 'error', 'stopped', 'awaiting_confirmation'];

/** An agent held in `starting` (until `lifecycle.starts.open()`). */
async function startingAgent(http: Http, config: Record<string, unknown> = {}): Promise<string> {
  lifecycle.starts.close();
  const created = await http.post('/api/v1/agents', { name: 'slow starter', config });
  expect(created.status).toBe(201);
  const started = await http.post(`/api/v1/agents/${created.body.id}/start`);
  expect(started.body).toEqual({ id: created.body.id, status: 'starting' });
  return created.body.id;
}

const newConversation = async (http: Http, agentId: string) => {
  const reply = await http.post('/api/v1/conversations', { agent_id: agentId });
  expect(reply.status).toBe(201);
  return reply.body.id as string;
};

const agentStatus = async (http: Http, agentId: string) => (await http.get(`/api/v1/agents/${agentId}`)).body.status as string;

/** The log as [type, role or state, content or reason] triples. */
const shape = (events: Array<Record<string, any>>) =>
  events.map((event) =>
    event.type === 'message'
      ? ['message', event.role, event.content]
      : event.type === 'state'
        ? ['state', event.state, event.reason]
        : [event.type, event.code],
  );

test('a message sent while the agent starts waits for it, messages sent meanwhile join it, and one run answers them in order', async () => {
  const agentId = await startingAgent(rt.http);
  rt.llm.setScript([turns.text('Both answered.')]);
  const calls = rt.llm.requests.length;
  const id = await newConversation(rt.http, agentId);

  const first = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'first' });
  expect(first.status).toBe(202);
  expect(first.body).toMatchObject({ type: 'message', role: 'user', content: 'first', seq: 1 });
  expect((await rt.http.get(`/api/v1/conversations/${id}`)).body.state).toBe('running');
  const second = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'second' });
  expect(second.status).toBe(202);
  expect(second.body).toMatchObject({ content: 'second', seq: 3 });
  expect(shape(await eventsOf(rt.http, id))).toEqual([
    ['message', 'user', 'first'],
    ['state', 'running', 'waiting_for_agent'],
    ['message', 'user', 'second'],
  ]);
  expect(await agentStatus(rt.http, agentId)).toBe('starting');
  expect(rt.llm.requests.length).toBe(calls);

  lifecycle.starts.open();
  expect((await waitForState(rt.http, id, FINAL)).state).toBe('idle');
  expect(shape(await eventsOf(rt.http, id))).toEqual([
    ['message', 'user', 'first'],
    ['state', 'running', 'waiting_for_agent'],
    ['message', 'user', 'second'],
    ['state', 'running', null],
    ['message', 'assistant', 'Both answered.'],
    ['state', 'idle', 'awaiting_user'],
  ]);
  expect(rt.llm.requests.length).toBe(calls + 1);
  const asked = rt.llm.requests
    .at(-1)!
    .body.messages.filter((message) => message.role === 'user')
    .map((message) => message.content);
  expect(asked).toEqual(['first', 'second']);

  // Once the run has begun, a message is refused as before (conversation_busy), not queued.
  rt.llm.setScript([turns.hang()]);
  await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'third' });
  await rt.llm.waitForRequests(calls + 2);
  const busy = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'fourth' });
  expect(busy.status).toBe(409);
  expect(busy.body.error.code).toBe('conversation_busy');
  await rt.http.post(`/api/v1/conversations/${id}/stop`);
  await waitForState(rt.http, id, FINAL);
});

test('stop and delete work while a message waits; neither runs when the agent has started', async () => {
  const agentId = await startingAgent(rt.http);
  const stopped = await newConversation(rt.http, agentId);
  const deleted = await newConversation(rt.http, agentId);
  expect((await rt.http.post(`/api/v1/conversations/${stopped}/messages`, { content: 'wait for me' })).status).toBe(202);
  expect((await rt.http.post(`/api/v1/conversations/${deleted}/messages`, { content: 'me too' })).status).toBe(202);
  const calls = rt.llm.requests.length;

  expect((await rt.http.post(`/api/v1/conversations/${stopped}/stop`)).status).toBe(202);
  expect((await waitForState(rt.http, stopped, FINAL)).state).toBe('stopped');
  expect(shape(await eventsOf(rt.http, stopped))).toEqual([
    ['message', 'user', 'wait for me'],
    ['state', 'running', 'waiting_for_agent'],
    ['state', 'stopped', 'user_stop'],
  ]);
  expect((await rt.http.delete(`/api/v1/conversations/${deleted}`)).status).toBe(204);
  expect((await rt.http.get(`/api/v1/conversations/${deleted}`)).status).toBe(404);

  lifecycle.starts.open();
  await eventually(async () => (await agentStatus(rt.http, agentId)) === 'running');
  // The stopped conversation takes messages again, and only that run reaches the LLM.
  rt.llm.setScript([turns.text('Here now.')]);
  expect((await rt.http.post(`/api/v1/conversations/${stopped}/messages`, { content: 'still there?' })).status).toBe(202);
  expect((await waitForState(rt.http, stopped, FINAL)).state).toBe('idle');
  expect(rt.llm.requests.length).toBe(calls + 1);
  expect(
    rt.llm.requests
      .at(-1)!
      .body.messages.filter((message) => message.role === 'user')
      .map((message) => message.content),
  ).toEqual(['wait for me', 'still there?']);
});

test("a start that fails ends the waiting run with agent_start_failed and the agent's status_message", async () => {
  const agentId = await startingAgent(rt.http, { secrets: ['NO_SUCH_SECRET'] });
  const id = await newConversation(rt.http, agentId);
  expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'hello?' })).status).toBe(202);
  const calls = rt.llm.requests.length;

  lifecycle.starts.open();
  expect((await waitForState(rt.http, id, FINAL)).state).toBe('error');
  const agent = (await rt.http.get(`/api/v1/agents/${agentId}`)).body;
  expect(agent).toMatchObject({ status: 'error', status_message: expect.stringContaining('NO_SUCH_SECRET'), status_detail: null });
  const events = await eventsOf(rt.http, id);
  expect(events.at(-2)).toMatchObject({ type: 'error', code: 'agent_start_failed', message: expect.stringContaining(agent.status_message) });
  expect(events.at(-1)).toMatchObject({ type: 'state', state: 'error', reason: 'agent_start_failed' });
  expect(rt.llm.requests.length).toBe(calls);
  // The agent is in error now: a message is refused until it is started again.
  const refused = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'again?' });
  expect(refused.status).toBe(409);
  expect(refused.body.error).toMatchObject({ code: 'agent_not_running', agent_status: 'error' });
});

test('the SDK: client.conversations.run() follows a run that waits for its agent, unchanged, to its final state', async () => {
  const client = new MetisClient({ baseUrl: rt.server.url, token: rt.user.token, maxRetries: 0 });
  const agentId = await startingAgent(rt.http);
  rt.llm.setScript([turns.toolCall('think', { thought: 'the agent runs now' }), turns.text('Ready.')]);
  const conversation = await client.conversations.create({ agent_id: agentId });
  const seen: StreamEvent[] = [];
  const run = client.conversations.run(conversation.id, 'hello while you start', {
    onEvent: (event) => {
      seen.push(event);
      // The start finishes only once the stream has shown the run waiting.
      if (event.type === 'state' && event.reason === 'waiting_for_agent') lifecycle.starts.open();
    },
  });
  const end = await run.finalState();
  expect(end).toMatchObject({ type: 'state', state: 'idle', reason: 'awaiting_user' });
  const stored = seen.filter((event) => 'seq' in event);
  expect(stored.map((event) => (event.type === 'state' ? `state:${event.reason}` : event.type))).toEqual([
    'message',
    'state:waiting_for_agent',
    'state:null',
    'action',
    'observation',
    'message',
    'state:awaiting_user',
  ]);
  expect(stored).toEqual((await client.conversations.events.list(conversation.id, { limit: 100 })).data);
});

describe('two processes on one database', () => {
  let serverB: Server;
  let onB: Http;
  beforeAll(async () => {
    serverB = await startTestServer({ databaseUrl: rt.server.databaseUrl, env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: rt.dataDir } });
    onB = new Http(serverB.url, rt.user.token);
  });
  afterAll(() => serverB?.close());

  test('a message waiting in B runs when the start finishes in A (the control channel tells B)', async () => {
    const agentId = await startingAgent(rt.http);
    rt.llm.setScript([turns.text('Answered by B.')]);
    const id = await newConversation(onB, agentId);
    expect((await onB.post(`/api/v1/conversations/${id}/messages`, { content: 'through B' })).status).toBe(202);
    expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'through A' })).status).toBe(202);
    expect((await onB.post(`/api/v1/conversations/${id}/messages`, { content: 'and B again' })).status).toBe(202);

    lifecycle.starts.open();
    expect((await waitForState(onB, id, FINAL)).state).toBe('idle');
    expect(shape(await eventsOf(onB, id))).toEqual([
      ['message', 'user', 'through B'],
      ['state', 'running', 'waiting_for_agent'],
      ['message', 'user', 'through A'],
      ['message', 'user', 'and B again'],
      ['state', 'running', null],
      ['message', 'assistant', 'Answered by B.'],
      ['state', 'idle', 'awaiting_user'],
    ]);
  });
});

test('a process that dies while messages wait: the next start ends them interrupted and the agent in error; nothing waits forever', async () => {
  const gated = new GatedLifecycle();
  const dying = await startRuntime({ agentLifecycle: gated });
  let next: Server | undefined;
  try {
    gated.starts.close();
    const agent = await dying.http.post('/api/v1/agents', { name: 'orphan', config: {} });
    await dying.http.post(`/api/v1/agents/${agent.body.id}/start`);
    const id = await newConversation(dying.http, agent.body.id);
    expect((await dying.http.post(`/api/v1/conversations/${id}/messages`, { content: 'are you there?' })).status).toBe(202);

    // The process "dies": its lock session goes (and with it the run lock and the agent's transition lock).
    const admin = new pg.Client({ connectionString: dying.server.databaseUrl });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'metisai-locks' and datname = current_database()`,
      );
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }

    next = await startTestServer({ databaseUrl: dying.server.databaseUrl, env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: dying.dataDir } });
    const http = new Http(next.url, dying.user.token);
    expect((await http.get(`/api/v1/conversations/${id}`)).body.state).toBe('error');
    const ended = shape(await eventsOf(http, id));
    expect(ended).toEqual([
      ['message', 'user', 'are you there?'],
      ['state', 'running', 'waiting_for_agent'],
      ['error', 'interrupted'],
      ['state', 'error', 'interrupted'],
    ]);
    expect((await http.get(`/api/v1/agents/${agent.body.id}`)).body).toMatchObject({ status: 'error', status_message: INTERRUPTED_START });

    // The dead process's start finishing late changes nothing: its waiting run no longer holds the lock.
    gated.starts.open();
    await dying.server.close();
    expect(shape(await eventsOf(http, id))).toEqual(ended);

    // Started again, the agent answers the kept message with the next one.
    dying.llm.setScript([turns.text('Yes.')]);
    expect((await http.post(`/api/v1/agents/${agent.body.id}/start`)).status).toBe(202);
    await eventually(async () => (await agentStatus(http, agent.body.id)) === 'running');
    expect((await http.post(`/api/v1/conversations/${id}/messages`, { content: 'hello again' })).status).toBe(202);
    expect((await waitForState(http, id, FINAL)).state).toBe('idle');
    expect(
      dying.llm.requests
        .at(-1)!
        .body.messages.filter((message) => message.role === 'user')
        .map((message) => message.content),
    ).toEqual(['are you there?', 'hello again']);
  } finally {
    gated.starts.open();
    await next?.close();
    await dying.close();
  }
});

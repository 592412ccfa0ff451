import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { Http, eventually, registerUser } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
import { eventsOf, scripted, startRuntime, waitForState, type Runtime } from './runtime-harness.ts';

let rt: Runtime;
beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(() => rt.close());

const newConversation = async (body: Record<string, unknown> = {}) => {
  const reply = await rt.http.post('/api/v1/conversations', body);
  expect(reply.status).toBe(201);
  return reply.body.id as string;
};

describe('a message starts a run that answers it', () => {
  test('the agent creates a file, runs it and finishes; every step is stored; usage is counted', async () => {
    rt.llm.setScript(
      scripted([
        (dir) => turns.toolCall('str_replace_editor', { command: 'create', path: `${dir}/hello.py`, file_text: 'print(6 * 7)\n' }),
        () => turns.toolCall('execute_bash', { command: 'python3 hello.py' }),
        () => turns.toolCall('finish', { message: 'It prints 42.' }),
      ]),
    );
    const id = await newConversation({ title: 'task' });
    const posted = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'Write hello.py printing 6*7 and run it' });
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ type: 'message', role: 'user', seq: 1 });

    const done = await waitForState(rt.http, id, ['finished', 'error', 'idle']);
    expect(done.state).toBe('finished');
    expect(done.usage.total_tokens).toBeGreaterThan(0);
    // Every LLM call's usage is stored as well as the totals.
    expect(done.usage.llm_calls).toBe(3);
    const client = new pg.Client({ connectionString: rt.server.databaseUrl });
    await client.connect();
    const calls = await client.query('select prompt_tokens, completion_tokens from llm_calls where conversation_id = $1 order by id', [id]);
    await client.end();
    expect(calls.rows).toHaveLength(3);
    expect(calls.rows.reduce((sum, row) => sum + row.prompt_tokens + row.completion_tokens, 0)).toBe(done.usage.total_tokens);
    const events = await eventsOf(rt.http, id);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    const observations = events.filter((event) => event.type === 'observation');
    expect(observations[1]!.content).toContain('42');
    expect(observations[1]!.exit_code).toBe(0);
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'finished', reason: 'finish' });
    expect(events.filter((event) => event.type === 'message' && event.role === 'assistant').at(-1)!.content).toBe('It prints 42.');
    // The tool result went back to the model as a `tool` message holding the observation.
    const third = rt.llm.requests.at(-1)!.body;
    expect(third.messages.filter((message) => message.role === 'tool').at(-1)!.content).toContain('42');
    // The file is really there, in the conversation's own sandbox.
    const conversation = await rt.http.get(`/api/v1/conversations/${id}`);
    expect(conversation.body.state).toBe('finished');
  });

  test('a reply without tool calls leaves the conversation idle, and the next message continues it', async () => {
    rt.llm.setScript([turns.text('Hello! What should I do?'), turns.text('Still here.')]);
    const id = await newConversation();
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'hi' });
    expect((await waitForState(rt.http, id, ['idle', 'error'])).state).toBe('idle');
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'are you there?' });
    await eventually(async () => (await eventsOf(rt.http, id)).filter((event) => event.type === 'message').length === 4);
    const second = rt.llm.requests.at(-1)!.body.messages.map((message) => `${message.role}:${String(message.content)}`);
    expect(second).toEqual(expect.arrayContaining(['user:hi', 'assistant:Hello! What should I do?', 'user:are you there?']));
  });

  test('a second message while a run is going is 409 conversation_busy', async () => {
    rt.llm.setScript([turns.hang()]);
    const id = await newConversation();
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'think forever' });
    await waitForState(rt.http, id, ['running']);
    const again = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'hello?' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conversation_busy');
    expect((await rt.http.post(`/api/v1/conversations/${id}/stop`)).status).toBe(202);
    expect((await waitForState(rt.http, id, ['stopped'])).state).toBe('stopped');
  });

  test('stop interrupts a running `sleep 100` within a couple of seconds', async () => {
    rt.llm.setScript([turns.toolCall('execute_bash', { command: 'sleep 100' }), turns.text('unused')]);
    const id = await newConversation();
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'sleep' });
    await eventually(async () => (await eventsOf(rt.http, id)).some((event) => event.type === 'action'));
    const started = Date.now();
    const stop = await rt.http.post(`/api/v1/conversations/${id}/stop`);
    expect(stop.status).toBe(202);
    const stopped = await waitForState(rt.http, id, ['stopped', 'error', 'idle']);
    expect(stopped.state).toBe('stopped');
    expect(Date.now() - started).toBeLessThan(5000);
    const last = (await eventsOf(rt.http, id)).at(-1);
    expect(last).toMatchObject({ type: 'state', state: 'stopped', reason: 'user_stop' });
    // The run is over once its workspace is measured, just after its final state: then there is nothing left to stop.
    const again = await eventually(async () => {
      const reply = await rt.http.post(`/api/v1/conversations/${id}/stop`);
      return reply.status === 409 ? reply : null;
    });
    expect(again.body.error.code).toBe('conversation_not_running');
  });

  test('without an LLM configured the run ends in error llm_not_configured', async () => {
    const bare = await registerUser(new Http(rt.server.url), 'nollm');
    const id = (await bare.http.post('/api/v1/conversations', {})).body.id;
    expect((await bare.http.post(`/api/v1/conversations/${id}/messages`, { content: 'hi' })).status).toBe(202);
    expect((await waitForState(bare.http, id, ['error'])).state).toBe('error');
    expect((await eventsOf(bare.http, id)).find((event) => event.type === 'error')).toMatchObject({ code: 'llm_not_configured' });
  });
});

describe('confirmation mode', () => {
  test('the run pauses before a command; approve runs it, reject tells the model', async () => {
    await rt.http.put('/api/v1/settings', { confirmation_mode: true });
    try {
      rt.llm.setScript([
        turns.toolCall('execute_bash', { command: 'echo approved-run' }),
        turns.toolCall('execute_bash', { command: 'rm -rf /tmp/nothing-here' }),
        turns.toolCall('finish', { message: 'ok' }),
      ]);
      const id = await newConversation();
      await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'go' });
      await waitForState(rt.http, id, ['awaiting_confirmation']);
      expect((await rt.http.post(`/api/v1/conversations/${id}/confirm`, { approve: 'yes' })).status).toBe(400);
      expect((await rt.http.post(`/api/v1/conversations/${id}/confirm`, { approve: true })).status).toBe(202);
      await eventually(async () => (await eventsOf(rt.http, id)).some((event) => event.type === 'observation' && event.content.includes('approved-run')));
      await waitForState(rt.http, id, ['awaiting_confirmation']);
      expect((await rt.http.post(`/api/v1/conversations/${id}/confirm`, { approve: false })).status).toBe(202);
      expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
      const observations = (await eventsOf(rt.http, id)).filter((event) => event.type === 'observation');
      expect(observations[1]!.content).toMatch(/reject/i);
      expect((await rt.http.post(`/api/v1/conversations/${id}/confirm`, { approve: true })).body.error.code).toBe('not_awaiting_confirmation');
    } finally {
      await rt.http.put('/api/v1/settings', { confirmation_mode: false });
    }
  });
});

describe('agents', () => {
  test("a running agent's conversation runs with its config; stopping the agent refuses messages", async () => {
    rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo "$GREETING"' }), turns.toolCall('finish', { message: 'done' })]);
    await rt.http.post('/api/v1/secrets', { name: 'GREETING', value: 'bonjour-secret-value' });
    const agent = (await rt.http.post('/api/v1/agents', { name: 'greeter', config: { secrets: ['GREETING'], warm_pool_size: 1 } })).body;
    await rt.http.post(`/api/v1/agents/${agent.id}/start`);
    await eventually(async () => (await rt.http.get(`/api/v1/agents/${agent.id}`)).body.status === 'running', 20_000);
    const id = await newConversation({ agent_id: agent.id });
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'greet' });
    expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
    const observation = (await eventsOf(rt.http, id)).find((event) => event.type === 'observation')!;
    // The secret reached the sandbox, and its value is masked in the event.
    expect(observation.content).toContain('<secret_hidden>');
    expect(JSON.stringify(await eventsOf(rt.http, id))).not.toContain('bonjour-secret-value');
    await rt.http.post(`/api/v1/agents/${agent.id}/stop`);
    await eventually(async () => (await rt.http.get(`/api/v1/agents/${agent.id}`)).body.status === 'stopped');
    expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'again' })).body.error.code).toBe('agent_not_running');
  });
});

describe('llm-test', () => {
  test('reports success, and the provider complaint for a bad key', async () => {
    rt.llm.setScript([turns.text('ok')]);
    const good = await rt.http.post('/api/v1/settings/llm-test', {});
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ ok: true, model: 'scripted', error: null });
    const strict = await (await import('@metisai/scripted-llm')).startScriptedLlm({ script: [turns.text('x')], apiKey: 'right-key' });
    try {
      const bad = await rt.http.post('/api/v1/settings/llm-test', { llm_base_url: strict.url, llm_api_key: 'wrong-key' });
      expect(bad.body.ok).toBe(false);
      expect(bad.body.error.status).toBe(401);
      const withRight = await rt.http.post('/api/v1/settings/llm-test', { llm_base_url: strict.url, llm_api_key: 'right-key' });
      expect(withRight.body.ok).toBe(true);
      // The agent route resolves the agent's config first.
      const agent = (await rt.http.post('/api/v1/agents', { name: 'tester', config: { llm_base_url: strict.url } })).body;
      const viaAgent = await rt.http.post(`/api/v1/agents/${agent.id}/llm-test`);
      expect(viaAgent.body).toMatchObject({ ok: false, base_url: strict.url, error: { status: 401 } });
    } finally {
      await strict.close();
    }
  });
});

describe('restarts', () => {
  test('a run cut by a shutdown ends as error/interrupted; a run left running by a dead process is marked interrupted on start', async () => {
    const local = await startRuntime();
    try {
      local.llm.setScript([turns.hang()]);
      const id = (await local.http.post('/api/v1/conversations', {})).body.id;
      await local.http.post(`/api/v1/conversations/${id}/messages`, { content: 'work' });
      await waitForState(local.http, id, ['running']);
      await local.server.close();
      // Simulate a process that died mid-run: its state says running but nobody holds the run lock.
      const client = new pg.Client({ connectionString: local.server.databaseUrl });
      await client.connect();
      const events = await client.query('select type, payload from events e join conversations c on c.id = e.conversation_id where c.id = $1 order by seq', [
        id,
      ]);
      expect(events.rows.at(-1)).toMatchObject({ type: 'state', payload: { state: 'error', reason: 'interrupted' } });
      await client.query(`update conversations set state = 'running' where id = $1`, [id]);
      await client.end();
      const again = await startTestServer({ databaseUrl: local.server.databaseUrl, env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: local.dataDir } });
      try {
        const http = new Http(again.url, local.user.token);
        const conversation = await http.get(`/api/v1/conversations/${id}`);
        expect(conversation.body.state).toBe('error');
        expect((await eventsOf(http, id)).at(-1)).toMatchObject({ type: 'state', state: 'error', reason: 'interrupted' });
      } finally {
        await again.close();
      }
    } finally {
      await local.llm.close();
    }
  });
});

test('another user cannot stop or confirm a conversation', async () => {
  const id = await newConversation();
  const mallory = await registerUser(new Http(rt.server.url), 'mallory');
  expect((await mallory.http.post(`/api/v1/conversations/${id}/stop`)).status).toBe(404);
  expect((await mallory.http.post(`/api/v1/conversations/${id}/confirm`, { approve: true })).status).toBe(404);
});

test("a long command's output streams live as ephemeral `output` events; the observation stores it whole", async () => {
  const { SseClient } = await import('../streaming/sse-client.ts');
  rt.llm.setScript([
    turns.toolCall('execute_bash', { command: 'for i in 1 2 3; do echo tick-$i; sleep 0.2; done' }),
    turns.toolCall('finish', { message: 'ok' }),
  ]);
  const id = await newConversation();
  const client = await SseClient.open(`${rt.server.url}/api/v1/conversations/${id}/events`, { token: rt.user.token });
  try {
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'tick' });
    await waitForState(rt.http, id, ['finished', 'error']);
    await client.until((c) => c.stored.some((event: { type: string; state?: string }) => event.type === 'state' && event.state === 'finished'));
    const live = client.messages.filter((message) => message.event === 'output').map((message) => JSON.parse(message.data));
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((event) => event.id === undefined && event.seq === undefined)).toBe(true);
    expect(live.map((event) => event.content).join('')).toContain('tick-3');
    const observation = (await eventsOf(rt.http, id)).find((event) => event.type === 'observation')!;
    expect(observation.content).toContain('tick-1');
    expect(observation.tool_call_id).toBe(live[0].tool_call_id);
  } finally {
    client.close();
  }
});

import { turns } from '@metisai/scripted-llm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
import { SseClient } from '../streaming/sse-client.ts';
import { eventsOf, startRuntime, waitForState, type Runtime, type Server } from '../runtime/runtime-harness.ts';
import { embeddableAgent, newVisitor, publishableKey, SITE, startAgent, VisitorClient } from './embed-helpers.ts';

/**
 * Visitors' runs under the embed policy, end to end over HTTP with the scripted LLM and local sandboxes (which need
 * ALLOW_UNSAFE_LOCAL_SANDBOX to serve visitors, and `network: egress`: they cannot cut the network; the Docker suite
 * checks `none`). Two server processes on one database.
 */
let rt: Runtime;
let other: Server;
const streams: SseClient[] = [];
beforeAll(async () => {
  rt = await startRuntime({ env: { ALLOW_UNSAFE_LOCAL_SANDBOX: 'true', EMBED_SWEEP_SECONDS: '0.2', QUOTA_SANDBOXES_PER_USER: '1' } });
  other = await startTestServer({
    databaseUrl: rt.server.databaseUrl,
    env: { SANDBOX_DRIVER: 'local', ALLOW_UNSAFE_LOCAL_SANDBOX: 'true', METIS_DATA_DIR: rt.dataDir, EMBED_SWEEP_SECONDS: '0.2' },
  });
}, 60_000);
afterAll(async () => {
  for (const stream of streams) stream.close();
  await other?.close();
  await rt?.close();
});

/** A running embeddable agent of the runtime's user (no warm pool: visitors never use it, and it would count against the owner). */
async function agentWith(config: Record<string, unknown> = {}, embed: Record<string, unknown> = {}, policy: Record<string, unknown> = {}) {
  const agentId = await embeddableAgent(rt.http, { warm_pool_size: 0, ...config }, { ...embed, policy: { network: 'egress', ...policy } });
  await startAgent(rt.http, agentId);
  const key = await publishableKey(rt.http, agentId);
  return { agentId, key };
}

/** A conversation of the visitor; answers its id. */
const conversationOf = async (visitor: VisitorClient) => (await visitor.post('/api/v1/embed/conversations', {})).body.id as string;

/** Sends a visitor message and waits for the run's end; answers the final conversation. */
async function visitorRun(visitor: VisitorClient, conversationId: string, content: string, states = ['idle', 'finished', 'error', 'awaiting_confirmation']) {
  const posted = await visitor.post(`/api/v1/embed/conversations/${conversationId}/messages`, { content });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  return eventually(async () => {
    const reply = await visitor.get(`/api/v1/embed/conversations/${conversationId}`);
    return states.includes(reply.body.state) ? reply.body : null;
  }, 30_000);
}

const visitorEvents = async (visitor: VisitorClient, conversationId: string) =>
  (await visitor.get(`/api/v1/embed/conversations/${conversationId}/events?limit=1000`)).body.data as Array<Record<string, any>>;

const toolNames = (index: number) => (rt.llm.requests[index]!.body.tools as { function: { name: string } }[]).map((tool) => tool.function.name);

describe('the embed policy', () => {
  test('the tools the LLM is offered are the allowlist’s that the agent has (finish always); the owner’s own conversation keeps all', async () => {
    const { agentId, key } = await agentWith({ tools: ['execute_bash', 'think', 'finish'] }, {}, { tools: ['think', 'str_replace_editor'] });
    const visitor = await newVisitor(rt.server.url, key.key);
    rt.llm.setScript([turns.text('hello')]);
    const before = rt.llm.requests.length;
    const conversation = await conversationOf(visitor.client);
    expect((await visitorRun(visitor.client, conversation, 'hi')).state).toBe('idle');
    expect(toolNames(before)).toEqual(['think', 'finish']);

    rt.llm.setScript([turns.text('hello owner')]);
    const own = (await rt.http.post('/api/v1/conversations', { agent_id: agentId })).body.id;
    await rt.http.post(`/api/v1/conversations/${own}/messages`, { content: 'hi' });
    await waitForState(rt.http, own, ['idle']);
    expect(toolNames(before + 1)).toEqual(['execute_bash', 'think', 'finish']);
    // Its sandbox goes with it (the owner may run one at a time here).
    await rt.http.delete(`/api/v1/conversations/${own}`);
  }, 60_000);

  test("env in a visitor's sandbox lacks the owner's secrets unless the policy names them", async () => {
    expect((await rt.http.post('/api/v1/secrets', { name: 'OWNER_TOKEN', value: 'owner-secret-value-1234' })).status).toBe(201);
    const envOf = async (events: Array<Record<string, any>>) => events.find((event) => event.type === 'observation')!.content as string;
    const script = () => rt.llm.setScript([turns.toolCall('execute_bash', { command: 'env' }), turns.toolCall('finish', { message: 'ok' })]);

    const closed = await agentWith({ secrets: ['OWNER_TOKEN'] });
    const visitor = await newVisitor(rt.server.url, closed.key.key);
    script();
    const conversation = await conversationOf(visitor.client);
    expect((await visitorRun(visitor.client, conversation, 'env')).state).toBe('finished');
    const seen = await envOf(await visitorEvents(visitor.client, conversation));
    expect(seen).toMatch(/PATH=/);
    expect(seen).not.toContain('OWNER_TOKEN');
    expect(seen).not.toContain('owner-secret-value-1234');

    // The same agent exports it to its owner's own conversations (shown masked).
    script();
    const own = (await rt.http.post('/api/v1/conversations', { agent_id: closed.agentId })).body.id;
    await rt.http.post(`/api/v1/conversations/${own}/messages`, { content: 'env' });
    await waitForState(rt.http, own, ['finished']);
    expect(await envOf(await eventsOf(rt.http, own))).toContain('OWNER_TOKEN=<secret_hidden>');
    await rt.http.delete(`/api/v1/conversations/${own}`);

    // A policy that names it exports it to visitors too.
    const open = await agentWith({ secrets: ['OWNER_TOKEN'] }, {}, { secrets: ['OWNER_TOKEN'] });
    const trusted = await newVisitor(rt.server.url, open.key.key);
    script();
    const trustedConversation = await conversationOf(trusted.client);
    await visitorRun(trusted.client, trustedConversation, 'env');
    expect(await envOf(await visitorEvents(trusted.client, trustedConversation))).toContain('OWNER_TOKEN=<secret_hidden>');
  }, 90_000);
});

describe('visitor quotas', () => {
  test('messages per hour, per visitor and per agent: 429 quota_exceeded with Retry-After', async () => {
    const { key } = await agentWith({}, {}, { quotas: { visitor_messages_per_hour: 2, agent_messages_per_hour: 3 } });
    const first = await newVisitor(rt.server.url, key.key);
    const second = await newVisitor(rt.server.url, key.key);
    rt.llm.setScript(() => turns.text('ok'));
    const conversation = await conversationOf(first.client);
    await visitorRun(first.client, conversation, 'one');
    await visitorRun(first.client, conversation, 'two');
    const refused = await first.client.post(`/api/v1/embed/conversations/${conversation}/messages`, { content: 'three' });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'visitor_messages_per_hour', limit: 2, current: 2 });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // Deleting the conversation frees nothing.
    expect((await first.client.delete(`/api/v1/embed/conversations/${conversation}`)).status).toBe(204);
    const fresh = await conversationOf(first.client);
    expect((await first.client.post(`/api/v1/embed/conversations/${fresh}/messages`, { content: 'again' })).status).toBe(429);

    const theirs = await conversationOf(second.client);
    await visitorRun(second.client, theirs, 'one');
    const agentFull = await second.client.post(`/api/v1/embed/conversations/${theirs}/messages`, { content: 'two' });
    expect(agentFull.status).toBe(429);
    expect(agentFull.body.error).toMatchObject({ quota: 'agent_messages_per_hour', limit: 3, current: 3 });
  }, 60_000);

  test('tokens per UTC day: a run stops when it uses them up, and the next message is 429 until midnight UTC', async () => {
    const { key } = await agentWith({}, {}, { quotas: { visitor_tokens_per_day: 300 } });
    const visitor = await newVisitor(rt.server.url, key.key);
    rt.llm.setScript([turns.toolCall('think', { thought: 'a' }, { usage: { promptTokens: 200, completionTokens: 200 } }), turns.text('never reached')]);
    const conversation = await conversationOf(visitor.client);
    const ended = await visitorRun(visitor.client, conversation, 'think');
    expect(ended.state).toBe('error');
    expect((await visitorEvents(visitor.client, conversation)).at(-1)).toMatchObject({ type: 'state', state: 'error', reason: 'quota_exceeded' });
    const refused = await visitor.client.post(`/api/v1/embed/conversations/${conversation}/messages`, { content: 'more' });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ quota: 'visitor_tokens_per_day', limit: 300, current: 400 });
    const now = new Date();
    const toMidnight = (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;
    expect(Math.abs(Number(refused.headers.get('retry-after')) - toMidnight)).toBeLessThan(5);
  }, 60_000);

  test("running sandboxes per visitor: 429 while its other conversation's sandbox runs elsewhere; an idle one here is stopped to make room; the owner is not charged", async () => {
    const { agentId, key } = await agentWith({ idle_timeout_seconds: 600 }, {}, { quotas: { visitor_sandboxes: 1 } });
    const visitor = await newVisitor(rt.server.url, key.key);
    const onB = new VisitorClient(other.url, visitor.token);
    rt.llm.setScript(() => turns.text('ok'));
    const first = await conversationOf(visitor.client);
    await visitorRun(visitor.client, first, 'one');
    // The first conversation's sandbox waits for its idle timeout in process A: B cannot stop it.
    const second = await conversationOf(visitor.client);
    const refused = await onB.post(`/api/v1/embed/conversations/${second}/messages`, { content: 'two' });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ quota: 'visitor_sandboxes', limit: 1, current: 1 });
    expect(refused.headers.get('retry-after')).toBe('600');
    // The owner (QUOTA_SANDBOXES_PER_USER=1 here) still gets a sandbox of their own.
    const own = (await rt.http.post('/api/v1/conversations', { agent_id: agentId })).body.id;
    await rt.http.post(`/api/v1/conversations/${own}/messages`, { content: 'mine' });
    expect((await waitForState(rt.http, own, ['idle', 'error'])).state).toBe('idle');
    await rt.http.delete(`/api/v1/conversations/${own}`);
    // Through A, which holds it idle, the first one's sandbox is stopped (its files stay) to make room.
    expect((await visitorRun(visitor.client, second, 'two')).state).toBe('idle');
    // And the other way round: the first conversation goes on, its sandbox started again in place of the second's.
    expect((await visitorRun(visitor.client, first, 'again')).state).toBe('idle');
    // Deleting a conversation removes its sandbox.
    expect((await visitor.client.delete(`/api/v1/embed/conversations/${first}`)).status).toBe(204);
    expect((await visitorRun(onB.from(SITE), second, 'now')).state).toBe('idle');
  }, 90_000);
});

describe("a visitor's files", () => {
  test('a visitor uploads a file and attaches it to a message: the model is pointed to it, the agent reads it, the changes show it', async () => {
    const { key } = await agentWith();
    const visitor = await newVisitor(rt.server.url, key.key);
    const conversation = await conversationOf(visitor.client);
    const uploaded = await visitor.client.upload(conversation, 'data/notes.txt', 'visitor notes\n');
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body).toMatchObject({ path: 'data/notes.txt', type: 'file', size: 14 });
    expect(uploaded.headers.get('access-control-allow-origin')).toBe(SITE);

    rt.llm.setScript([turns.toolCall('execute_bash', { command: 'cat data/notes.txt' }), turns.toolCall('finish', { message: 'read it' })]);
    const before = rt.llm.requests.length;
    const posted = await visitor.client.post(`/api/v1/embed/conversations/${conversation}/messages`, {
      content: 'summarise my file',
      attachments: [{ path: '/workspace/data/notes.txt' }],
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    expect(posted.body).toMatchObject({ type: 'message', role: 'user', content: 'summarise my file', attachments: [{ path: 'data/notes.txt' }] });
    await eventually(async () => (await visitor.client.get(`/api/v1/embed/conversations/${conversation}`)).body.state === 'finished', 30_000);
    const userMessage = (rt.llm.requests[before]!.body.messages as { role: string; content: string }[]).findLast((message) => message.role === 'user')!;
    expect(userMessage.content).toMatch(/^summarise my file\n\n\[attached: \/.+\/data\/notes\.txt, 14 bytes, text\/plain\]$/);
    const events = await visitorEvents(visitor.client, conversation);
    expect(events.find((event) => event.type === 'observation')!.content).toMatch(/^visitor notes\n/);

    const changes = await visitor.client.get(`/api/v1/embed/conversations/${conversation}/changes`);
    expect(changes.status).toBe(200);
    expect(changes.body.data).toEqual([expect.objectContaining({ path: 'data/notes.txt', status: 'added' })]);
  }, 60_000);

  test('attachments must be files of the workspace (400 naming the field); another visitor cannot upload or see changes (404)', async () => {
    const { key } = await agentWith();
    const visitor = await newVisitor(rt.server.url, key.key);
    const conversation = await conversationOf(visitor.client);
    const send = (attachments: unknown) => visitor.client.post(`/api/v1/embed/conversations/${conversation}/messages`, { content: 'look', attachments });
    // No sandbox yet: nothing can be attached.
    const early = await send([{ path: 'missing.txt' }]);
    expect(early.status).toBe(400);
    expect(early.body.error.details).toEqual([expect.objectContaining({ path: 'attachments.0.path' })]);
    expect((await visitor.client.upload(conversation, 'dir/a.txt', 'a')).status).toBe(201);
    for (const [attachments, field] of [
      [[{ path: 'dir/a.txt' }, { path: 'missing.txt' }], 'attachments.1.path'],
      [[{ path: 'dir' }], 'attachments.0.path'],
      [[{ path: '../etc/passwd' }], 'attachments.0.path'],
    ] as const) {
      const refused = await send(attachments);
      expect(refused.status, JSON.stringify(attachments)).toBe(400);
      expect(refused.body.error.details[0].path).toBe(field);
    }
    // Nothing was stored by the refused messages.
    expect((await visitorEvents(visitor.client, conversation)).filter((event) => event.type === 'message')).toEqual([]);

    const stranger = await newVisitor(rt.server.url, key.key);
    expect((await stranger.client.upload(conversation, 'b.txt', 'b')).status).toBe(404);
    expect((await stranger.client.get(`/api/v1/embed/conversations/${conversation}/changes`)).status).toBe(404);
    expect(
      (await stranger.client.post(`/api/v1/embed/conversations/${conversation}/messages`, { content: 'x', attachments: [{ path: 'dir/a.txt' }] })).status,
    ).toBe(404);
    // The owner's file routes are not a visitor's.
    expect((await visitor.client.get(`/api/v1/conversations/${conversation}/files`)).status).toBe(403);
  }, 60_000);
});

describe('confirmations', () => {
  test('a visitor sees that approval is pending and cannot confirm; the owner can', async () => {
    const { key } = await agentWith({ confirmation_mode: true }, {}, { confirmation_timeout_seconds: 600 });
    const visitor = await newVisitor(rt.server.url, key.key);
    rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo approved' }), turns.toolCall('finish', { message: 'done' })]);
    const conversation = await conversationOf(visitor.client);
    expect((await visitorRun(visitor.client, conversation, 'go')).state).toBe('awaiting_confirmation');
    expect((await visitorEvents(visitor.client, conversation)).at(-1)).toMatchObject({ type: 'state', state: 'awaiting_confirmation' });
    expect((await visitor.client.post(`/api/v1/conversations/${conversation}/confirm`, { approve: true })).status).toBe(403);
    expect((await visitor.client.post(`/api/v1/embed/conversations/${conversation}/confirm`, { approve: true })).status).toBeGreaterThanOrEqual(404);
    expect((await rt.http.post(`/api/v1/conversations/${conversation}/confirm`, { approve: true })).status).toBe(202);
    await eventually(async () => (await visitor.client.get(`/api/v1/embed/conversations/${conversation}`)).body.state === 'finished', 20_000);
    expect((await visitorEvents(visitor.client, conversation)).find((event) => event.type === 'observation')!.content).toContain('approved');
  }, 60_000);

  test('an action left unconfirmed past the timeout is rejected: the visitor can write again', async () => {
    const { key } = await agentWith({ confirmation_mode: true }, {}, { confirmation_timeout_seconds: 1 });
    const visitor = await newVisitor(rt.server.url, key.key);
    rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo never' }), turns.text('fine')]);
    const conversation = await conversationOf(visitor.client);
    expect((await visitorRun(visitor.client, conversation, 'go')).state).toBe('awaiting_confirmation');
    await eventually(async () => (await visitor.client.get(`/api/v1/embed/conversations/${conversation}`)).body.state === 'idle', 10_000);
    const events = await visitorEvents(visitor.client, conversation);
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'idle', reason: 'confirmation_timeout' });
    const observation = events.find((event) => event.type === 'observation')!;
    expect(observation.content).toMatch(/did not approve this action within 1 s/);
    expect(observation.content).not.toContain('never\n');
    expect((await visitorRun(visitor.client, conversation, 'and now?')).state).toBe('idle');
  }, 60_000);

  test('a pause whose process went away is rejected by the sweep of another', async () => {
    const { key } = await agentWith({ confirmation_mode: true }, {}, { confirmation_timeout_seconds: 2 });
    const third = await startTestServer({
      databaseUrl: rt.server.databaseUrl,
      env: { SANDBOX_DRIVER: 'local', ALLOW_UNSAFE_LOCAL_SANDBOX: 'true', METIS_DATA_DIR: rt.dataDir, EMBED_SWEEP_SECONDS: '3600' },
    });
    const visitor = await newVisitor(third.url, key.key);
    rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo never' }), turns.text('fine')]);
    const conversation = await conversationOf(visitor.client);
    expect((await visitorRun(visitor.client, conversation, 'go')).state).toBe('awaiting_confirmation');
    // The process holding the timer stops; the others' sweep (every 0.2 s) finds the overdue pause.
    await third.close();
    const moved = new VisitorClient(rt.server.url, visitor.token);
    await eventually(async () => (await moved.get(`/api/v1/embed/conversations/${conversation}`)).body.state === 'idle', 15_000);
    expect((await visitorEvents(moved, conversation)).at(-1)).toMatchObject({ reason: 'confirmation_timeout' });
  }, 60_000);
});

describe('retention and policy changes', () => {
  test("visitors' conversations idle past retention_days are deleted by the sweep; newer ones stay", async () => {
    const { key } = await agentWith({}, { retention_days: 1 });
    const visitor = await newVisitor(rt.server.url, key.key);
    const old = await conversationOf(visitor.client);
    const recent = await conversationOf(visitor.client);
    const db = new pg.Client({ connectionString: rt.server.databaseUrl });
    await db.connect();
    try {
      await db.query(`update conversations set updated_at = now() - interval '2 days' where id = $1`, [old]);
    } finally {
      await db.end();
    }
    await eventually(async () => (await visitor.client.get(`/api/v1/embed/conversations/${old}`)).status === 404, 10_000);
    expect((await visitor.client.get(`/api/v1/embed/conversations/${recent}`)).status).toBe(200);
  }, 30_000);

  test("rotating the key ends the visitor's open stream on another process with stream_end token_stale", async () => {
    const { agentId, key } = await agentWith();
    const visitor = await newVisitor(rt.server.url, key.key);
    const conversation = await conversationOf(visitor.client);
    const stream = await SseClient.open(`${other.url}/api/v1/embed/conversations/${conversation}/events`, { token: visitor.token, headers: { origin: SITE } });
    streams.push(stream);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('access-control-allow-origin')).toBe(SITE);
    expect((await rt.http.post(`/api/v1/agents/${agentId}/publishable-keys/${key.id}/rotate`)).status).toBe(200);
    await stream.ended;
    const last = stream.messages.at(-1)!;
    expect(last.event).toBe('stream_end');
    expect(JSON.parse(last.data)).toMatchObject({ type: 'stream_end', code: 'token_stale' });
    // A stream of another agent's visitor is not touched.
    const unrelated = await agentWith();
    const bystander = await newVisitor(rt.server.url, unrelated.key.key);
    const theirs = await conversationOf(bystander.client);
    const kept = await SseClient.open(`${other.url}/api/v1/embed/conversations/${theirs}/events`, { token: bystander.token, headers: { origin: SITE } });
    streams.push(kept);
    await rt.http.post(`/api/v1/agents/${agentId}/publishable-keys/${key.id}/rotate`);
    await kept.until((client) => client.comments.includes('ping') || client.messages.length === 0, 2000);
    expect(kept.isEnded).toBe(false);
  }, 30_000);

  test("turning embedding off ends visitors' streams", async () => {
    const { agentId, key } = await agentWith();
    const visitor = await newVisitor(rt.server.url, key.key);
    const conversation = await conversationOf(visitor.client);
    const stream = await SseClient.open(`${rt.server.url}/api/v1/embed/conversations/${conversation}/events`, {
      token: visitor.token,
      headers: { origin: SITE },
    });
    streams.push(stream);
    const agent = (await rt.http.get(`/api/v1/agents/${agentId}`)).body;
    await rt.http.put(`/api/v1/agents/${agentId}`, { config: { ...agent.config, embed: { ...agent.config.embed, enabled: false } } });
    await stream.ended;
    expect(JSON.parse(stream.messages.at(-1)!.data)).toMatchObject({ type: 'stream_end', code: 'token_stale' });
  }, 30_000);
});

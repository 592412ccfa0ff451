import { afterAll, beforeAll, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { CONVERSATION_EXPORT_FORMAT } from '@metisai/sdk/schemas';
import { Http, registerUser } from '../support/http.ts';
import { runningAgent } from '../e2e/e2e-helpers.ts';
import { eventsOf, scripted, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';

let rt: Runtime;
beforeAll(async () => {
  rt = await startRuntime({ env: { IMPORT_LIMIT_BYTES: String(64 * 1024) } });
});
afterAll(() => rt?.close());

async function finishedConversation(agentId: string | null = null) {
  rt.llm.setScript(scripted([() => turns.toolCall('execute_bash', { command: 'echo "$TOKEN"' }), () => turns.toolCall('finish', { message: 'all done' })]));
  const id = (await rt.http.post('/api/v1/conversations', { agent_id: agentId, title: 'to export' })).body.id as string;
  await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'go' });
  await waitForState(rt.http, id, ['finished', 'error']);
  return id;
}

test('export is a versioned document of the conversation and every stored event; import makes a new conversation of it', async () => {
  const agent = await runningAgent(rt, 'exporter', { llm_model: 'scripted' });
  const id = await finishedConversation(agent);
  const exported = await rt.http.get(`/api/v1/conversations/${id}/export`);
  expect(exported.status).toBe(200);
  const document = exported.body;
  expect(document).toMatchObject({
    format: CONVERSATION_EXPORT_FORMAT,
    server_version: expect.any(String),
    conversation: { id, agent_id: agent, title: 'to export', state: 'finished' },
  });
  expect(document.events).toEqual(await eventsOf(rt.http, id));

  const imported = await rt.http.post('/api/v1/conversations/import', document);
  expect(imported.status).toBe(201);
  expect(imported.body).toMatchObject({ agent_id: agent, title: 'to export', state: 'finished', last_seq: document.events.length, usage: { total_tokens: 0 } });
  expect(imported.body.id).not.toBe(id);
  const copied = await eventsOf(rt.http, imported.body.id);
  const strip = (event: Record<string, unknown>) => {
    const { id: _id, conversation_id: _conversation, ...rest } = event;
    return rest;
  };
  expect(copied.map(strip)).toEqual(document.events.map(strip));
  // It is a conversation like any other: it goes on.
  rt.llm.setScript([turns.text('still here')]);
  expect((await rt.http.post(`/api/v1/conversations/${imported.body.id}/messages`, { content: 'hello again' })).status).toBe(202);
  expect((await waitForState(rt.http, imported.body.id, ['idle', 'error'])).state).toBe('idle');
});

test("someone else's agent is dropped unless agent_id names one of the importer's; a run left running ends interrupted", async () => {
  const id = await finishedConversation();
  const document = (await rt.http.get(`/api/v1/conversations/${id}/export`)).body;
  const other = await registerUser(new Http(rt.server.url), 'importer');
  const foreignAgent = (await rt.http.post('/api/v1/agents', { name: 'not theirs' })).body.id as string;
  const theirAgent = (await other.http.post('/api/v1/agents', { name: 'theirs' })).body.id as string;
  const running = {
    ...document,
    conversation: { ...document.conversation, agent_id: foreignAgent },
    events: [...document.events.slice(0, 2)],
  };
  expect(running.events.at(-1)).toMatchObject({ type: 'state', state: 'running' });
  const dropped = await other.http.post('/api/v1/conversations/import', running);
  expect(dropped.status).toBe(201);
  expect(dropped.body).toMatchObject({ agent_id: null, state: 'error' });
  expect((await eventsOf(other.http, dropped.body.id)).slice(-2)).toEqual([
    expect.objectContaining({ type: 'error', code: 'interrupted' }),
    expect.objectContaining({ type: 'state', state: 'error', reason: 'interrupted' }),
  ]);
  const chosen = await other.http.post(`/api/v1/conversations/import?agent_id=${theirAgent}`, running);
  expect(chosen.body.agent_id).toBe(theirAgent);
  expect((await other.http.post(`/api/v1/conversations/import?agent_id=${foreignAgent}`, running)).status).toBe(404);
  // The exporter's conversation stays theirs alone.
  expect((await other.http.get(`/api/v1/conversations/${id}`)).status).toBe(404);
});

test('a document that is not an export is 400 naming the field; one over IMPORT_LIMIT_BYTES is 413 with limit_bytes', async () => {
  const id = await finishedConversation();
  const document = (await rt.http.get(`/api/v1/conversations/${id}/export`)).body;
  const cases: Array<[unknown, string]> = [
    [{ ...document, format: 'something/else' }, 'format'],
    [{ ...document, conversation: undefined }, 'conversation'],
    [{ ...document, events: [{ type: 'message', role: 'robot', content: 'x' }] }, 'events.0.role'],
    [{ ...document, events: [{ type: 'telepathy' }] }, 'events.0.type'],
    [{ ...document, events: [{ type: 'message', role: 'user', content: 'nul \u0000 here' }] }, 'events.0.content'],
  ];
  for (const [body, field] of cases) {
    const reply = await rt.http.post('/api/v1/conversations/import', body);
    expect(reply.status, field).toBe(400);
    expect(
      reply.body.error.details.map((detail: { path: string }) => detail.path),
      field,
    ).toContain(field);
  }
  const huge = { ...document, events: [{ type: 'message', role: 'user', content: 'x'.repeat(70 * 1024) }] };
  const tooLarge = await rt.http.post('/api/v1/conversations/import', huge);
  expect(tooLarge.status).toBe(413);
  expect(tooLarge.body.error).toMatchObject({ code: 'payload_too_large', limit_bytes: 64 * 1024 });
  // Other JSON routes keep their own limit (BODY_LIMIT_BYTES, 1 MiB by default) and say it too.
  const message = await rt.http.post(`/api/v1/conversations/${id}/messages`, 'x'.repeat(2 * 1024 * 1024));
  expect(message.status).toBe(413);
});

test('secret values are masked in the export, as everywhere', async () => {
  await rt.http.post('/api/v1/secrets', { name: 'TOKEN', value: 'sup3r-s3cret-value' });
  const agent = await runningAgent(rt, 'with secret', { llm_model: 'scripted', secrets: ['TOKEN'] });
  const id = await finishedConversation(agent);
  const exported = await rt.http.get(`/api/v1/conversations/${id}/export`);
  expect(exported.text).not.toContain('sup3r-s3cret-value');
  expect(exported.body.events.find((event: { type: string }) => event.type === 'observation').content).toMatch(/^<secret_hidden>\n/);
});

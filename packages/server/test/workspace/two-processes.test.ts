import { afterAll, beforeAll, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { Http } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
import { eventsOf, scripted, startRuntime, waitForState, type Runtime, type Server } from '../runtime/runtime-harness.ts';
import { conversationRow, WorkspaceClient } from './workspace-client.ts';

/** Server A (the runtime's) runs the conversations; server B, another process on the same database, serves files. */
let rt: Runtime;
let serverB: Server;
let onB: WorkspaceClient;
beforeAll(async () => {
  rt = await startRuntime();
  serverB = await startTestServer({ databaseUrl: rt.server.databaseUrl, env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: rt.dataDir } });
  onB = new WorkspaceClient(new Http(serverB.url, rt.user.token));
});
afterAll(async () => {
  await serverB?.close();
  await rt?.close();
});

test('while A runs a conversation, B reaches its sandbox for uploads, listings and downloads without a shell of its own', async () => {
  rt.llm.setScript(scripted([() => turns.toolCall('execute_bash', { command: 'echo from-a > a.txt' }), () => turns.hang()]));
  const id = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
  const before = rt.llm.requests.length;
  await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'work' });
  // The scripted LLM counts every request since it started: wait for this run's.
  await rt.llm.waitForRequests(before + 2);
  const { sandbox_id } = await conversationRow(rt.server.databaseUrl, id);

  expect((await onB.upload(id, 'from-b.txt', 'from-b\n')).status).toBe(201);
  expect((await onB.list(id)).body.data.map((entry: { name: string }) => entry.name)).toEqual(['a.txt', 'from-b.txt']);
  expect((await onB.download(id, 'a.txt')).text).toBe('from-a\n');
  // Still A's sandbox, and A's shell still works: the next step reads what B wrote.
  expect((await conversationRow(rt.server.databaseUrl, id)).sandbox_id).toBe(sandbox_id);
  await rt.http.post(`/api/v1/conversations/${id}/stop`);
  await waitForState(rt.http, id, ['stopped']);
  rt.llm.setScript(scripted([() => turns.toolCall('execute_bash', { command: 'cat from-b.txt' }), () => turns.toolCall('finish', { message: 'ok' })]));
  await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'read it' });
  expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
  const observations = (await eventsOf(rt.http, id)).filter((event) => event.type === 'observation');
  expect(observations.at(-2)!.content).toMatch(/^from-b\n/);
});

test('with nobody running the conversation, B makes its sandbox; a run on A then works in it', async () => {
  const id = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
  expect((await onB.upload(id, 'given.txt', 'given by B\n')).status).toBe(201);
  const { sandbox_id } = await conversationRow(rt.server.databaseUrl, id);
  expect(sandbox_id).not.toBeNull();
  rt.llm.setScript(scripted([() => turns.toolCall('execute_bash', { command: 'cat given.txt' }), () => turns.toolCall('finish', { message: 'ok' })]));
  await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'read it' });
  expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
  // A reconnected to the sandbox B made (its first observation says the shell was restarted), and found the file.
  expect((await eventsOf(rt.http, id)).find((event) => event.type === 'observation')!.content).toContain('given by B\n');
  expect((await conversationRow(rt.server.databaseUrl, id)).sandbox_id).toBe(sandbox_id);
});

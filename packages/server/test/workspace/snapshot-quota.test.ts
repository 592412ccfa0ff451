import { afterAll, beforeAll, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { eventually } from '../support/http.ts';
import { startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { WorkspaceClient } from './workspace-client.ts';

let rt: Runtime;
beforeAll(async () => {
  rt = await startRuntime({ env: { QUOTA_WORKSPACE_BYTES: '100000' } });
});
afterAll(() => rt?.close());

test('snapshot bytes count toward the workspace quota, and pruning old snapshots frees them', async () => {
  const ws = new WorkspaceClient(rt.http);
  // 60 kB on disk (under the 100 kB quota), and the same 60 kB again in the snapshot store.
  rt.llm.setScript([turns.toolCall('execute_bash', { command: 'head -c 60000 /dev/urandom > big.bin' }), turns.toolCall('finish', { message: 'done' })]);
  const id = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
  await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'write' });
  expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
  // Until the run has measured the workspace and let go of the conversation, a message is 409.
  const over = await eventually(async () => {
    const reply = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'again' });
    return reply.status === 409 ? null : reply;
  });
  expect(over.status).toBe(429);
  expect(over.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'workspace_bytes', limit: 100000 });
  expect(over.body.error.current).toBeGreaterThanOrEqual(120000);

  // The file is replaced by a small one (recorded as the state from the last event on); the older snapshot is pruned.
  expect((await ws.upload(id, 'big.bin', 'small')).status).toBe(200);
  const { last_seq: lastSeq } = (await rt.http.get(`/api/v1/conversations/${id}`)).body;
  expect((await rt.http.delete(`/api/v1/conversations/${id}/snapshots?before_seq=${lastSeq}`)).status).toBe(204);
  rt.llm.setScript([turns.toolCall('finish', { message: 'fits again' })]);
  expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'now' })).status).toBe(202);
  expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
  // Forks before the pruning point are refused; at it, the small file.
  expect((await rt.http.post(`/api/v1/conversations/${id}/fork`, { at_seq: lastSeq - 1 })).body.error.code).toBe('snapshot_unavailable');
  const fork = await rt.http.post(`/api/v1/conversations/${id}/fork`, { at_seq: lastSeq });
  expect(fork.status).toBe(201);
  // Downloaded from the fork before it ever ran (its first sandbox restores the workspace), and read by its own agent.
  expect((await ws.download(fork.body.id, 'big.bin')).text).toBe('small');
  // Read by the fork's own agent (its first run restores the workspace).
  rt.llm.setScript([turns.toolCall('execute_bash', { command: 'cat big.bin' }), turns.toolCall('finish', { message: 'read' })]);
  await rt.http.post(`/api/v1/conversations/${fork.body.id}/messages`, { content: 'read' });
  expect((await waitForState(rt.http, fork.body.id, ['finished', 'error'])).state).toBe('finished');
  const events = (await rt.http.get(`/api/v1/conversations/${fork.body.id}/events?limit=100`)).body.data as Array<{ type: string; content?: string }>;
  expect(events.filter((event) => event.type === 'observation').at(-2)?.content).toMatch(/^small/);
}, 120_000);

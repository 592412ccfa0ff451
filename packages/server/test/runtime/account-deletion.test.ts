import { WorkspaceClient } from '../workspace/workspace-client.ts';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { createSandboxDriver } from '@metisai/sandbox';
import { turns } from '@metisai/scripted-llm';
import { eventually, Http } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { startRuntime, waitForState } from './runtime-harness.ts';

const drivers: { driver: 'local' | 'docker'; skip: boolean; env: Record<string, string> }[] = [
  { driver: 'local', skip: false, env: {} },
  { driver: 'docker', skip: !hasDocker, env: { SANDBOX_IMAGE: 'metisai/sandbox:latest' } },
];

const rowsOf = async (databaseUrl: string, sql: string, params: unknown[]) => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
};

describe.each(drivers)('$driver driver', ({ driver, skip, env }) => {
  test.skipIf(skip)(
    "deleting an account through another process removes every sandbox of the user: conversations', and warm pools held elsewhere",
    async () => {
      const rt = await startRuntime({ driver, env });
      const b = await startTestServer({ databaseUrl: rt.server.databaseUrl, env: { SANDBOX_DRIVER: driver, METIS_DATA_DIR: rt.dataDir, ...env } });
      // A driver of the same kind, only to look at the sandboxes from outside.
      const outside = createSandboxDriver({ driver, onLog: () => {}, local: { rootDir: path.join(rt.dataDir, 'sandboxes') } });
      const ofUser = async () => (await outside.list()).filter((info) => info.labels['metisai.account'] === rt.user.user.id);
      try {
        // On A: an agent with a warm pool of two, and a conversation whose run left its sandbox running (idle).
        const agent = (await rt.http.post('/api/v1/agents', { name: 'pooled', config: { warm_pool_size: 2 } })).body;
        expect((await rt.http.post(`/api/v1/agents/${agent.id}/start`)).status).toBe(202);
        await eventually(async () => (await rt.http.get(`/api/v1/agents/${agent.id}`)).body.status === 'running', 60_000);
        rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo secret-state > notes.txt' }), turns.toolCall('finish', { message: 'done' })]);
        const conversation = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
        await rt.http.post(`/api/v1/conversations/${conversation}/messages`, { content: 'write notes' });
        expect((await waitForState(rt.http, conversation, ['finished', 'error'], 60_000)).state).toBe('finished');
        await rt.http.post('/api/v1/conversations', { agent_id: agent.id }, { 'idempotency-key': 'remembered' });
        const [{ sandbox_id: sandboxId }] = await rowsOf(rt.server.databaseUrl, 'select sandbox_id from conversations where id = $1', [conversation]);
        expect((await ofUser()).map((info) => info.id)).toContain(sandboxId);
        expect((await ofUser()).length).toBe(3);

        // Through B, which holds none of them.
        const reply = await new Http(b.url, rt.user.token).request('DELETE', '/api/v1/auth/profile', { password: rt.user.password });
        expect(reply.status).toBe(204);
        expect(await ofUser()).toEqual([]);
        expect((await outside.list()).map((info) => info.id)).not.toContain(sandboxId);
        // A's pool does not refill either.
        expect(await ofUser()).toEqual([]);
        for (const table of ['sessions', 'api_keys', 'idempotency_keys', 'agents', 'conversations']) {
          expect(await rowsOf(rt.server.databaseUrl, `select 1 from ${table} where user_id = $1`, [rt.user.user.id]), table).toEqual([]);
        }
      } finally {
        await b.close();
        await rt.close();
      }
    },
    180_000,
  );
});

describe('quotas', () => {
  test('running sandboxes per user, warm pools included, counted across processes: 429 at start, quota_exceeded in a run', async () => {
    const rt = await startRuntime({ env: { QUOTA_SANDBOXES_PER_USER: '2' } });
    const b = await startTestServer({
      databaseUrl: rt.server.databaseUrl,
      env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: rt.dataDir, QUOTA_SANDBOXES_PER_USER: '2' },
    });
    try {
      // A pool of two on A uses the whole quota.
      const agent = (await rt.http.post('/api/v1/agents', { name: 'pooled', config: { warm_pool_size: 2 } })).body;
      await rt.http.post(`/api/v1/agents/${agent.id}/start`);
      await eventually(async () => (await rt.http.get(`/api/v1/agents/${agent.id}`)).body.status === 'running', 30_000);
      // A second pool, started through B, cannot be filled.
      const second = (await rt.http.post('/api/v1/agents', { name: 'second', config: { warm_pool_size: 1 } })).body;
      await new Http(b.url, rt.user.token).post(`/api/v1/agents/${second.id}/start`);
      const failed = await eventually(async () => {
        const reply = await rt.http.get(`/api/v1/agents/${second.id}`);
        return reply.body.status === 'error' ? reply.body : null;
      }, 30_000);
      expect(failed.status_message).toMatch(/running sandboxes/);
      // A conversation without an agent needs a new sandbox: its run, on B, ends with quota_exceeded.
      rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo hi' }), turns.toolCall('finish', { message: 'done' })]);
      const conversation = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
      expect((await new Http(b.url, rt.user.token).post(`/api/v1/conversations/${conversation}/messages`, { content: 'go' })).status).toBe(202);
      const ended = await waitForState(rt.http, conversation, ['error', 'finished']);
      expect(ended.state).toBe('error');
      const events = (await rt.http.get(`/api/v1/conversations/${conversation}/events`)).body.data;
      expect(events.at(-1)).toMatchObject({ type: 'state', state: 'error', reason: 'quota_exceeded' });
      // Stopping the pooled agent frees the quota: the agent is `stopped` once its pool's sandboxes are gone.
      await rt.http.post(`/api/v1/agents/${agent.id}/stop`);
      await eventually(async () => (await rt.http.get(`/api/v1/agents/${agent.id}`)).body.status === 'stopped', 30_000);
      rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo hi' }), turns.toolCall('finish', { message: 'done' })]);
      await rt.http.post(`/api/v1/conversations/${conversation}/messages`, { content: 'again' });
      const again = await waitForState(rt.http, conversation, ['error', 'finished']);
      expect(again.state).toBe('finished');
    } finally {
      await b.close();
      await rt.close();
    }
  }, 120_000);

  test('at the sandbox quota, the idle sandboxes this process keeps for the user are stopped (oldest first, files kept) instead of a 429', async () => {
    const rt = await startRuntime({ env: { QUOTA_SANDBOXES_PER_USER: '2' } });
    try {
      const runOnce = async (id: string, command: string) => {
        rt.llm.setScript([turns.toolCall('execute_bash', { command }), turns.toolCall('finish', { message: 'done' })]);
        expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'go' })).status).toBe(202);
        return waitForState(rt.http, id, ['error', 'finished']);
      };
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await rt.http.post('/api/v1/conversations', {})).body.id as string);
      // Two finished runs keep their sandboxes for the idle timeout: the user's quota of 2 is used up.
      expect((await runOnce(ids[0]!, 'echo one > one.txt')).state).toBe('finished');
      expect((await runOnce(ids[1]!, 'echo two > two.txt')).state).toBe('finished');
      // A third conversation still gets a sandbox: the longest idle one (the first) is stopped for it.
      expect((await runOnce(ids[2]!, 'echo three')).state).toBe('finished');
      // An upload to the first starts its sandbox again (stopping the second); its files are still there.
      const upload = await new WorkspaceClient(rt.http).upload(ids[0]!, 'again.txt', 'again');
      expect(upload.status).toBe(201);
      const listed = (await rt.http.get(`/api/v1/conversations/${ids[0]}/files`)).body.data.map((entry: { name: string }) => entry.name);
      expect(listed).toEqual(['again.txt', 'one.txt']);
    } finally {
      await rt.close();
    }
  }, 120_000);

  test('concurrent runs per user; the events cap ends a run cleanly; the workspace is measured after each run', async () => {
    const rt = await startRuntime({ env: { QUOTA_RUNS_PER_USER: '1', QUOTA_EVENTS_PER_CONVERSATION: '12', QUOTA_WORKSPACE_BYTES: '100000' } });
    try {
      rt.llm.setScript([turns.hang()]);
      const busy = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
      await rt.http.post(`/api/v1/conversations/${busy}/messages`, { content: 'think forever' });
      await waitForState(rt.http, busy, ['running']);
      const other = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
      const refused = await rt.http.post(`/api/v1/conversations/${other}/messages`, { content: 'me too' });
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'runs', limit: 1, current: 1 });
      await rt.http.post(`/api/v1/conversations/${busy}/stop`);
      await waitForState(rt.http, busy, ['stopped']);

      // Events: a run that keeps calling tools stops at the cap with quota_exceeded.
      rt.llm.setScript(Array.from({ length: 20 }, (_, i) => turns.toolCall('execute_bash', { command: `echo step-${i}` })));
      expect((await rt.http.post(`/api/v1/conversations/${other}/messages`, { content: 'loop' })).status).toBe(202);
      const ended = await waitForState(rt.http, other, ['error', 'finished', 'idle']);
      expect(ended.state).toBe('error');
      const events = (await rt.http.get(`/api/v1/conversations/${other}/events?limit=100`)).body.data;
      expect(events.at(-1)).toMatchObject({ type: 'state', reason: 'quota_exceeded' });
      expect(events.length).toBeLessThanOrEqual(12 + 3);
      const full = await rt.http.post(`/api/v1/conversations/${other}/messages`, { content: 'more' });
      expect(full.status).toBe(429);
      expect(full.body.error).toMatchObject({ quota: 'events', limit: 12 });

      // Workspace: a run writes 200 kB; the next message is refused, naming the measured size.
      rt.llm.setScript([turns.toolCall('execute_bash', { command: 'head -c 200000 /dev/zero > big.bin' }), turns.toolCall('finish', { message: 'done' })]);
      const writer = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
      await rt.http.post(`/api/v1/conversations/${writer}/messages`, { content: 'write' });
      expect((await waitForState(rt.http, writer, ['finished', 'error'])).state).toBe('finished');
      const over = await eventually(async () => {
        const reply = await rt.http.post(`/api/v1/conversations/${writer}/messages`, { content: 'again' });
        return reply.status === 429 ? reply : null;
      });
      expect(over.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'workspace_bytes', limit: 100000 });
      expect(over.body.error.current).toBeGreaterThanOrEqual(200000);
    } finally {
      await rt.close();
    }
  }, 120_000);

  test('max_budget_tokens ends the run with reason budget, and later runs at once', async () => {
    const rt = await startRuntime();
    try {
      const agent = (await rt.http.post('/api/v1/agents', { name: 'frugal', config: { max_budget_tokens: 50, warm_pool_size: 0 } })).body;
      await rt.http.post(`/api/v1/agents/${agent.id}/start`);
      await eventually(async () => (await rt.http.get(`/api/v1/agents/${agent.id}`)).body.status === 'running');
      rt.llm.setScript(Array.from({ length: 10 }, () => turns.toolCall('think', { thought: 'hmm' }, { usage: { promptTokens: 20, completionTokens: 10 } })));
      const conversation = (await rt.http.post('/api/v1/conversations', { agent_id: agent.id })).body.id as string;
      await rt.http.post(`/api/v1/conversations/${conversation}/messages`, { content: 'think' });
      const ended = await waitForState(rt.http, conversation, ['error', 'finished', 'idle']);
      expect(ended).toMatchObject({ state: 'error' });
      expect(ended.usage.total_tokens).toBeGreaterThanOrEqual(50);
      expect(ended.usage.llm_calls).toBe(2);
      const events = (await rt.http.get(`/api/v1/conversations/${conversation}/events`)).body.data;
      expect(events.slice(-2)).toMatchObject([
        { type: 'error', code: 'budget' },
        { type: 'state', state: 'error', reason: 'budget' },
      ]);
      // The budget is spent: the next message's run ends at once, without an LLM call.
      const calls = rt.llm.requests.length;
      await rt.http.post(`/api/v1/conversations/${conversation}/messages`, { content: 'more' });
      await eventually(async () => {
        const log = (await rt.http.get(`/api/v1/conversations/${conversation}/events`)).body.data;
        return log.at(-1).reason === 'budget' && log.at(-3).type === 'state' && log.at(-3).state === 'running';
      });
      expect(rt.llm.requests.length).toBe(calls);
    } finally {
      await rt.close();
    }
  }, 60_000);
});

import path from 'node:path';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { createSandboxDriver } from '@metisai/sandbox';
import { turns } from '@metisai/scripted-llm';
import { Http } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
// The sandbox package's own watchers and Docker policy (no engine → skip; CI set and no engine → failure).
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { watchContainer } from '../../../sandbox/test/helpers/watch-container.ts';
import { watchLocalSandbox } from '../../../sandbox/test/helpers/watch-local-sandbox.ts';
import type { SandboxWatch } from '../../../sandbox/test/suites/driver-suite.ts';
import { startRuntime, waitForState } from './runtime-harness.ts';

const sandboxIdOf = async (databaseUrl: string, conversationId: string): Promise<string> => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ sandbox_id: string | null }>('select sandbox_id from conversations where id = $1', [conversationId]);
    return rows[0]!.sandbox_id!;
  } finally {
    await client.end();
  }
};

const drivers: { driver: 'local' | 'docker'; skip: boolean; env: Record<string, string>; watch: (dataDir: string, id: string) => Promise<SandboxWatch> }[] = [
  { driver: 'local', skip: false, env: {}, watch: (dataDir, id) => watchLocalSandbox(path.join(dataDir, 'sandboxes', id)) },
  { driver: 'docker', skip: !hasDocker, env: { SANDBOX_IMAGE: 'metisai/sandbox:latest' }, watch: (_, id) => watchContainer(id) },
];

describe.each(drivers)('$driver driver', ({ driver, skip, env, watch }) => {
  test.skipIf(skip)('deleting a conversation whose sandbox a restart stopped removes it without starting it or opening a shell', async () => {
    const rt = await startRuntime({ driver, env });
    try {
      rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo kept > notes.txt' }), turns.toolCall('finish', { message: 'done' })]);
      const id = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
      await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'write notes' });
      expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
      const sandboxId = await sandboxIdOf(rt.server.databaseUrl, id);

      // Shutting down stops the conversation's sandbox and keeps it for the next start.
      await rt.server.close();
      const again = await startTestServer({ databaseUrl: rt.server.databaseUrl, env: { SANDBOX_DRIVER: driver, METIS_DATA_DIR: rt.dataDir, ...env } });
      // A driver of the same kind, only to look at the sandbox from outside.
      const outside = createSandboxDriver({ driver, onLog: () => {}, local: { rootDir: path.join(rt.dataDir, 'sandboxes') } });
      const stateOf = async () => (await outside.list()).find((info) => info.id === sandboxId)?.state;
      try {
        expect(await stateOf()).toMatch(/^(stopped|exited)$/);
        const watching = await watch(rt.dataDir, sandboxId);
        expect((await new Http(again.url, rt.user.token).delete(`/api/v1/conversations/${id}`)).status).toBe(204);
        expect(await watching.untilGone()).toEqual([]);
        expect(await stateOf()).toBeUndefined();
      } finally {
        await again.close();
      }
    } finally {
      await rt.close();
    }
  });
});

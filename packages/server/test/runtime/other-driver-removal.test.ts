import Docker from 'dockerode';
import pg from 'pg';
import { expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { Http } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
// The sandbox package's Docker policy (no engine → skip; CI set and no engine → failure).
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { startRuntime, waitForState } from './runtime-harness.ts';

const sandboxOf = async (databaseUrl: string, conversationId: string) => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ sandbox_id: string; workspace: string }>('select sandbox_id, workspace from conversations where id = $1', [
      conversationId,
    ]);
    return rows[0]!;
  } finally {
    await client.end();
  }
};

/** Whether the engine still has the container / the volume. */
const exists = (inspect: () => Promise<unknown>) =>
  inspect().then(
    () => true,
    (error: { statusCode?: number }) => {
      if (error.statusCode === 404) return false;
      throw error;
    },
  );

test.skipIf(!hasDocker)(
  'deleting a conversation made under Docker from a server restarted with the local driver removes its container and workspace volume (Docker answers)',
  async () => {
    const rt = await startRuntime({ driver: 'docker', env: { SANDBOX_IMAGE: 'metisai/sandbox:latest' } });
    let local: Awaited<ReturnType<typeof startTestServer>> | undefined;
    try {
      rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo kept > notes.txt' }), turns.toolCall('finish', { message: 'done' })]);
      const id = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
      await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'write notes' });
      expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
      const { sandbox_id: containerId, workspace } = await sandboxOf(rt.server.databaseUrl, id);
      const docker = new Docker();
      const volumeName = (await docker.getContainer(containerId).inspect()).Mounts.find((mount) => mount.Destination === '/workspace')?.Name;
      expect(volumeName).toBeTruthy();
      expect(workspace).toBeTruthy();

      // The server stops (the conversation's container is stopped, its volume kept) and comes back with the local driver.
      await rt.server.close();
      local = await startTestServer({ databaseUrl: rt.server.databaseUrl, env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: rt.dataDir } });
      expect(await exists(() => docker.getContainer(containerId).inspect())).toBe(true);

      expect((await new Http(local.url, rt.user.token).delete(`/api/v1/conversations/${id}`)).status).toBe(204);
      expect(await exists(() => docker.getContainer(containerId).inspect())).toBe(false);
      expect(await exists(() => docker.getVolume(volumeName!).inspect())).toBe(false);
    } finally {
      await local?.close();
      await rt.close();
    }
  },
  120_000,
);

import { afterEach, describe, expect, test } from 'vitest';
import { createSandboxDriver } from '@metisai/sandbox';
import { eventually, Http } from '../support/http.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { TEST_SECRET_KEY } from '../support/test-server.ts';
// The sandbox package's Docker policy (no engine → skip; CI set and no engine → failure).
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { type Runtime, startRuntime } from './runtime-harness.ts';

const USER_LABEL = 'metisai.account';

const statusOf = async (http: Http, agentId: string) => (await http.get(`/api/v1/agents/${agentId}`)).body;

/** The user's running sandboxes the engine lists (every process's): what their sandbox quota counts. */
const runningSandboxes = async (userId: string) =>
  (await createSandboxDriver({ driver: 'docker', owner: 'metisai:agent-stop-pool-test' }).list()).filter(
    (info) => info.labels[USER_LABEL] === userId && info.state === 'running',
  );

describe('stopping an agent whose warm pool another server process made', () => {
  let rt: Runtime | undefined;
  let other: ServerProcess | undefined;
  afterEach(async () => {
    await other?.stop('SIGKILL');
    await rt?.close();
    other = undefined;
    rt = undefined;
  });

  test.skipIf(!hasDocker)(
    "removes that pool's waiting sandboxes before the agent is stopped, even when the process that made them is gone: they stop counting against the user's quota",
    async () => {
      const env = { SANDBOX_IMAGE: 'metisai/sandbox:latest', QUOTA_SANDBOXES_PER_USER: '2' };
      rt = await startRuntime({ driver: 'docker', env });
      // Process B: the same installation (database), its own process, the Docker driver.
      other = await startServerProcess({
        ...env,
        DATABASE_URL: rt.server.databaseUrl,
        SECRET_KEY: TEST_SECRET_KEY,
        HOST: '127.0.0.1',
        SANDBOX_DRIVER: 'docker',
        METIS_DATA_DIR: rt.dataDir,
      });
      const viaB = new Http(other.url, rt.user.token);
      // B fills a pool of two: the user's whole sandbox quota.
      const pooled = (await rt.http.post('/api/v1/agents', { name: 'pooled on B', config: { warm_pool_size: 2 } })).body;
      expect((await viaB.post(`/api/v1/agents/${pooled.id}/start`)).status).toBe(202);
      await eventually(async () => (await statusOf(rt!.http, pooled.id)).status === 'running', 60_000);
      expect(await runningSandboxes(rt.user.user.id)).toHaveLength(2);
      // B dies: nothing will close its pool (its containers run on until some server reaps them at its next start).
      await other.stop('SIGKILL');
      other = undefined;

      // A stops the agent: once it says `stopped`, B's waiting pool sandboxes are gone from the engine.
      await rt.http.post(`/api/v1/agents/${pooled.id}/stop`);
      await eventually(async () => (await statusOf(rt!.http, pooled.id)).status === 'stopped', 60_000);
      expect(await runningSandboxes(rt.user.user.id)).toEqual([]);

      // So the quota is free at once: a new pool of two fills.
      const next = (await rt.http.post('/api/v1/agents', { name: 'next', config: { warm_pool_size: 2 } })).body;
      await rt.http.post(`/api/v1/agents/${next.id}/start`);
      const started = await eventually(async () => {
        const agent = await statusOf(rt!.http, next.id);
        return agent.status === 'running' || agent.status === 'error' ? agent : null;
      }, 60_000);
      expect(started.status_message ?? null).toBeNull();
      expect(started.status).toBe('running');
      await rt.http.post(`/api/v1/agents/${next.id}/stop`);
      await eventually(async () => (await statusOf(rt!.http, next.id)).status === 'stopped', 60_000);
    },
    180_000,
  );
});

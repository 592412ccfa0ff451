import { mkdtemp, chmod, rm } from 'node:fs/promises';
import pg from 'pg';
import { dockerDriver } from '@metisai/sandbox';
import Docker from 'dockerode';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startScriptedLlm, type ChatRequest, type ScriptedLlm, type Turn } from '@metisai/scripted-llm';
import { Http, eventually, registerUser } from '../support/http.ts';
import type { Logger } from 'pino';
import type { AgentLifecycle } from '../../src/services/agent-lifecycle.ts';
import { startTestServer } from '../support/test-server.ts';

/** The sandbox's working directory, as the system prompt tells the model. */
export const workdirOf = (request: ChatRequest): string => {
  const system = request.messages.find((message) => message.role === 'system');
  const match = /Your working directory is (\S+?)\.(\s|$)/.exec(typeof system?.content === 'string' ? system.content : '');
  if (!match) throw new Error('no working directory in the system prompt');
  return match[1]!;
};

/** Turns built per request from the workdir: `steps[i]` answers the i-th LLM call. */
export const scripted = (steps: ((workdir: string, request: ChatRequest) => Turn)[]) => (request: ChatRequest, index: number) => {
  const step = steps[index];
  if (!step) throw new Error(`no scripted turn for LLM call #${index + 1}`);
  return step(workdirOf(request), request);
};

export type Server = Awaited<ReturnType<typeof startTestServer>>;

/** A real server (runtime: the given driver) and a scripted LLM; a user whose settings point at that LLM. */
export async function startRuntime(
  options: { driver?: 'local' | 'docker'; env?: Record<string, string>; databaseUrl?: string; agentLifecycle?: AgentLifecycle; logger?: Logger } = {},
) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-runtime-'));
  await chmod(dataDir, 0o755);
  const llm: ScriptedLlm = await startScriptedLlm({ script: [] });
  const server = await startTestServer({
    databaseUrl: options.databaseUrl,
    agentLifecycle: options.agentLifecycle,
    logger: options.logger,
    env: { SANDBOX_DRIVER: options.driver ?? 'local', METIS_DATA_DIR: dataDir, ...options.env },
  });
  const user = await registerUser(new Http(server.url), 'runner');
  const settings = await user.http.put('/api/v1/settings', { llm_model: 'scripted', llm_base_url: llm.url, llm_api_key: 'sk-test' });
  if (settings.status !== 200) throw new Error(`settings: ${JSON.stringify(settings.body)}`);
  return {
    server,
    llm,
    user,
    http: user.http,
    dataDir,
    /** Stops the server and the LLM, then removes what a production server keeps: its sandboxes and data dir. */
    async close() {
      await server.close();
      await llm.close();
      await removeSandboxesOf(server.databaseUrl);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type Runtime = Awaited<ReturnType<typeof startRuntime>>;

/** Waits until the conversation's state is one of `states`; answers the conversation. */
export const waitForState = (http: Http, conversationId: string, states: string[], timeoutMs = 20_000) =>
  eventually(async () => {
    const reply = await http.get(`/api/v1/conversations/${conversationId}`);
    return states.includes(reply.body.state) ? reply.body : null;
  }, timeoutMs);

export const eventsOf = async (http: Http, conversationId: string) =>
  (await http.get(`/api/v1/conversations/${conversationId}/events?limit=1000`)).body.data as Array<Record<string, any>>;

/**
 * A server stops its conversations' sandboxes on shutdown and keeps them for the next start (their files are the
 * conversation's). Tests never restart that installation, so they remove its Docker sandboxes and workspaces themselves.
 */
export async function removeSandboxesOf(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const installation = (await client.query<{ id: string }>('select id from installation')).rows[0]?.id;
  await client.end();
  const driver = dockerDriver();
  const sandboxes = await driver.list().catch(() => []);
  for (const info of sandboxes.filter((sandbox) => installation && sandbox.owner?.startsWith(`metisai:${installation}:`))) {
    await driver.remove(info.id).catch(() => undefined);
  }
  // Workspace volumes whose container was already gone.
  const docker = new Docker();
  const volumes = (await docker.listVolumes({ filters: { label: ['metisai.managed=true'] } }).catch(() => ({ Volumes: [] }))).Volumes ?? [];
  for (const volume of volumes.filter((item) => installation && item.Labels?.['metisai.owner']?.startsWith(`metisai:${installation}:`))) {
    await driver.removeWorkspace(volume.Labels['metisai.workspace'] ?? '').catch(() => undefined);
  }
}

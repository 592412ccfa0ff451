import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startScriptedLlm, type ScriptedLlm } from '@metisai/scripted-llm';
import { MetisClient, type ClientOptions } from '@metisai/sdk';
import { startTestServer } from '../../../../packages/server/test/support/test-server.ts';

let counter = 0;
/** A unique email for this run. */
export const uniqueEmail = (label = 'sdk') => `${label}-${process.pid}-${Date.now()}-${counter++}@example.com`;
export const PASSWORD = 'correct horse battery';

/** A real server (local sandbox runtime, fresh database) and a scripted LLM. */
export async function startStack(options: { env?: Record<string, string> } = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-sdk-e2e-'));
  await chmod(dataDir, 0o755);
  const llm: ScriptedLlm = await startScriptedLlm({ script: [] });
  const server = await startTestServer({
    env: {
      SANDBOX_DRIVER: 'local',
      METIS_DATA_DIR: dataDir,
      // Every test registers users from 127.0.0.1.
      RATE_LIMIT_REGISTER_PER_IP: '10000',
      RATE_LIMIT_LOGIN_PER_IP: '10000',
      SSE_HEARTBEAT_SECONDS: '0.5',
      ...options.env,
    },
  });
  return {
    server,
    llm,
    url: server.url,
    /** A client of this server (no credentials unless given). */
    client: (extra: Partial<ClientOptions> = {}) => new MetisClient({ baseUrl: server.url, maxRetries: 0, ...extra }),
    /** Registers a new user through the SDK; the client holds the token. Its settings point at the scripted LLM. */
    async user(label?: string, extra: Partial<ClientOptions> = {}) {
      const client = new MetisClient({ baseUrl: server.url, ...extra });
      const email = uniqueEmail(label);
      const token = await client.auth.register({ email, password: PASSWORD, name: label ?? 'SDK user' });
      await client.settings.update({ llm_model: 'scripted', llm_base_url: llm.url, llm_api_key: 'sk-test' });
      return { client, email, token };
    },
    async close() {
      await server.close();
      await llm.close();
      await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    },
  };
}
export type Stack = Awaited<ReturnType<typeof startStack>>;

/** Polls `check` until it answers something truthy. */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('eventually: timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

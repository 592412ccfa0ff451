/**
 * Serves index.html (a plain page embedding `<metis-chat>`) under a strict CSP, on http://127.0.0.1:8080.
 *
 * The page embeds the agent for anonymous visitors (`publishable-key`): the agent has embedding on, and its publishable
 * key allows this page's origin.
 *
 *   npm run example:embed                      offline: starts a MetisAI server and a scripted LLM here
 *   METIS_URL=http://localhost:8000 METIS_AGENT_ID=… METIS_PUBLISHABLE_KEY=pk_… npm run example:embed
 *                                              against your server (the key must allow http://127.0.0.1:8080)
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MetisClient } from '@metisai/sdk';

const PORT = Number(process.env.PORT ?? 8080);
const PAGE_ORIGIN = `http://127.0.0.1:${PORT}`;
const here = path.dirname(new URL(import.meta.url).pathname);
const widgetVersion: string = JSON.parse(await readFile(new URL(import.meta.resolve('@metisai/widget/package.json')), 'utf8')).version;

/** A MetisAI server with a scripted LLM, a user and a running agent, all started here (nothing else needed). */
async function startOffline() {
  const [{ startScriptedLlm, turns }, { loadConfig, startServer }] = await Promise.all([import('@metisai/scripted-llm'), import('@metisai/server')]);
  const llm = await startScriptedLlm({
    chunkDelayMs: 20,
    script: (request) => {
      const last = request.messages.at(-1);
      if (last?.role === 'tool') return turns.text(`The command printed:\n\n\`\`\`\n${String(last.content).split('\n')[0]}\n\`\`\``);
      const text = String(request.messages.findLast((message) => message.role === 'user')?.content ?? '');
      if (/directory|hello\.py/i.test(text))
        return turns.toolCall('execute_bash', { command: /hello/i.test(text) ? 'printf "print(6*7)\\n" > hello.py && python3 hello.py' : 'pwd && ls -la' });
      return turns.text('I am a **scripted** model: ask about my working directory, or to write *hello.py*.');
    },
  });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-embed-example-'));
  await chmod(dataDir, 0o755);
  const server = await startServer({
    // Without Docker the sandboxes are local: embedding there needs the explicit acknowledgement (a demo on a laptop).
    config: loadConfig({ ALLOW_UNSAFE_LOCAL_SANDBOX: 'true', ...process.env, METIS_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }),
  });
  const client = new MetisClient({ baseUrl: server.url });
  await client.auth.register({ email: 'embed@example.com', password: 'embed example password' });
  await client.settings.update({ llm_model: 'scripted', llm_base_url: llm.url, llm_api_key: 'none' });
  // Embedding on, for visitors. `egress`: the local driver cannot cut the network; on a real site keep the default `none`.
  const agent = await client.agents.create({ name: 'Example agent', config: { embed: { enabled: true, policy: { network: 'egress' } } } });
  const { key } = await client.agents.publishableKeys.create(agent.id, { allowed_origins: [PAGE_ORIGIN] });
  await client.agents.start(agent.id);
  while ((await client.agents.get(agent.id)).status !== 'running') await new Promise((resolve) => setTimeout(resolve, 100));
  return {
    url: server.url,
    publishableKey: key,
    agentId: agent.id,
    async close() {
      await server.close();
      await llm.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Your running server: an agent with embedding on, and its publishable key for this page's origin. */
function useExisting(url: string) {
  return { url, publishableKey: process.env.METIS_PUBLISHABLE_KEY!, agentId: process.env.METIS_AGENT_ID!, close: async () => {} };
}

const metis = process.env.METIS_URL ? useExisting(process.env.METIS_URL) : await startOffline();
const csp = `default-src 'none'; script-src 'self' ${metis.url}; style-src 'self'; connect-src ${metis.url}; img-src 'self'`;
const template = await readFile(path.join(here, '..', 'index.html'), 'utf8');
const page = template
  .replaceAll('{{METIS_URL}}', metis.url)
  .replaceAll('{{WIDGET_VERSION}}', widgetVersion)
  .replaceAll('{{AGENT_ID}}', metis.agentId)
  .replaceAll('{{PUBLISHABLE_KEY}}', metis.publishableKey)
  .replaceAll('{{CSP}}', csp);
const css =
  'body { margin: 0; font: 18px/1.6 Georgia, serif; background: #fbf8f1; color: #222; } main { max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }';

const http = createServer((request, response) => {
  if (request.url === '/page.css') response.writeHead(200, { 'content-type': 'text/css' }).end(css);
  else if (request.url === '/' || request.url === '/index.html')
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp }).end(page);
  else response.writeHead(404).end();
});
http.listen(PORT, '127.0.0.1', () => console.log(`MetisAI at ${metis.url}; the page embedding <metis-chat>: ${PAGE_ORIGIN}/ (Ctrl-C stops)`));
process.once('SIGINT', () => {
  http.close();
  void metis.close().then(() => process.exit(0));
});

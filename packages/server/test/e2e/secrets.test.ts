import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startScriptedLlm, turns, type ScriptedLlm } from '@metisai/scripted-llm';
import { createLogger } from '../../src/logger.ts';
import { Http, eventually, registerUser } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
import { eventsOf, waitForState, type Server } from '../runtime/runtime-harness.ts';
import { isFinalState, newConversation, runningAgent, Streams } from './e2e-helpers.ts';

const SECRET = 'tok-7f3a9c1e5b2d-only-in-the-sandbox';

/** Every line the server logged, at debug level. */
const logLines: string[] = [];
const capture = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(String(chunk));
    done();
  },
});

let llm: ScriptedLlm;
let server: Server;
let http: Http;
let token: string;
const streams = new Streams();
beforeAll(async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-e2e-secrets-'));
  await chmod(dataDir, 0o755);
  llm = await startScriptedLlm({ script: [] });
  server = await startTestServer({ env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: dataDir, LOG_LEVEL: 'debug' }, logger: createLogger('debug', capture) });
  const user = await registerUser(new Http(server.url), 'secrets');
  http = user.http;
  token = user.token;
  expect((await http.put('/api/v1/settings', { llm_model: 'scripted', llm_base_url: llm.url, llm_api_key: 'sk-test' })).status).toBe(200);
});
afterAll(async () => {
  streams.closeAll();
  await server?.close();
  await llm?.close();
});

test("a secret's value never leaves the sandbox: not in events, the SSE stream (deltas included), the LLM requests or the log", async () => {
  expect((await http.post('/api/v1/secrets', { name: 'API_TOKEN', value: SECRET })).status).toBe(201);
  const agentId = await runningAgent({ http }, 'with-token', { secrets: ['API_TOKEN'] });
  llm.setScript([
    turns.toolCall('execute_bash', { command: 'echo "token=$API_TOKEN"' }),
    // The reply quotes the value: the scripted LLM streams it in deltas of four characters or fewer.
    turns.text(`I printed it: ${SECRET} (that is the token).`),
    turns.toolCall('finish', { message: `Bye, and keep ${SECRET} safe.` }),
  ]);
  const id = await newConversation(http, { agent_id: agentId });
  const sse = await streams.open(server.url, id, token);
  await http.post(`/api/v1/conversations/${id}/messages`, { content: 'print the token' });
  await sse.until((c) => c.stored.some(isFinalState), 20_000);
  expect((await waitForState(http, id, ['idle', 'error'])).state).toBe('idle');
  await http.post(`/api/v1/conversations/${id}/messages`, { content: 'thanks' });
  await sse.until((c) => c.stored.filter(isFinalState).length === 2, 20_000);
  expect((await waitForState(http, id, ['finished', 'error'])).state).toBe('finished');

  const events = await eventsOf(http, id);
  // The command really saw the value: its output is masked, not empty.
  expect(events.find((event) => event.type === 'observation')!.content).toContain('token=<secret_hidden>');
  expect(events.find((event) => event.type === 'message' && event.role === 'assistant')!.content).toBe('I printed it: <secret_hidden> (that is the token).');
  // The value streamed as several deltas, and none of them (nor any piece of the value across them) leaked.
  expect(sse.deltas.length).toBeGreaterThan(5);
  expect(sse.deltas.map((delta) => delta.content).join('')).toContain('<secret_hidden>');
  expect(sse.deltas.map((delta) => delta.content).join('')).not.toContain(SECRET.slice(0, 8));
  // The command's live output streamed too, masked.
  const liveOutput = (client: typeof sse) =>
    client.messages.filter((message) => message.event === 'output').map((message) => JSON.parse(message.data).content as string);
  await sse.until((c) => liveOutput(c).join('').includes('token='));
  expect(liveOutput(sse).join('')).toContain('token=<secret_hidden>');
  expect(sse.text).not.toContain(SECRET);
  expect(JSON.stringify(events)).not.toContain(SECRET);

  // Stored rows, read straight from Postgres.
  const db = new pg.Client({ connectionString: server.databaseUrl });
  await db.connect();
  try {
    const rows = await db.query('select payload::text as payload from events where conversation_id = $1', [id]);
    expect(rows.rows.length).toBe(events.length);
    for (const row of rows.rows) expect(row.payload).not.toContain(SECRET);
  } finally {
    await db.end();
  }

  // What the LLM received: the system prompt names the secret, never its value.
  expect(llm.requests.length).toBe(3);
  expect(JSON.stringify(llm.requests[0]!.body.messages)).toContain('API_TOKEN');
  expect(JSON.stringify(llm.requests.at(-1)!.body)).toContain('<secret_hidden>');
  for (const request of llm.requests) expect(JSON.stringify(request)).not.toContain(SECRET);

  // The debug log: written, and clean.
  await eventually(async () => logLines.some((line) => line.includes(id)));
  expect(logLines.length).toBeGreaterThan(10);
  expect(logLines.join('')).not.toContain(SECRET);
});

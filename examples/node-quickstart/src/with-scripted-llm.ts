/**
 * The quickstart, offline: a MetisAI server (embedded PostgreSQL in a temp dir, local sandbox unless Docker answers)
 * and the scripted OpenAI-compatible LLM, both started here, then the same quickstart as against a real provider.
 *
 *   npm run scripted -w @metisai/example-node-quickstart
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startScriptedLlm, turns, type ChatRequest } from '@metisai/scripted-llm';
import { loadConfig, startServer } from '@metisai/server';
import { quickstart } from './quickstart.ts';

const workdirOf = (request: ChatRequest) => {
  const system = request.messages.find((message) => message.role === 'system');
  return /Your working directory is (\S+?)\.(\s|$)/.exec(String(system?.content ?? ''))?.[1] ?? '/workspace';
};

const FIZZBUZZ = 'for i in range(1, 16):\n    print("FizzBuzz" if i % 15 == 0 else "Fizz" if i % 3 == 0 else "Buzz" if i % 5 == 0 else i)\n';

// The "model": writes fizzbuzz.py, runs it, reads the last line, finishes. A `tool` message answers each call.
const llm = await startScriptedLlm({
  script: (request, index) => {
    const dir = workdirOf(request);
    if (index === 0) return { content: 'ping' }; // the settings check
    const steps = [
      turns.toolCall('str_replace_editor', { command: 'create', path: `${dir}/fizzbuzz.py`, file_text: FIZZBUZZ }),
      turns.toolCall('execute_bash', { command: 'python3 fizzbuzz.py | tail -n 1' }),
      turns.toolCall('finish', { message: 'fizzbuzz.py is written; its last line is FizzBuzz.' }),
    ];
    return steps[index - 1] ?? turns.text('Done.');
  },
  chunkDelayMs: 5,
});
const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-quickstart-'));
await chmod(dataDir, 0o755);
const server = await startServer({
  config: loadConfig({ ...process.env, METIS_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }),
});
try {
  const done = await quickstart({
    baseUrl: server.url,
    email: 'quickstart@example.com',
    password: 'quickstart password',
    llm: { model: 'scripted', baseUrl: llm.url, apiKey: 'none' },
    task: 'Create fizzbuzz.py printing FizzBuzz from 1 to 15, run it, and tell me the last line.',
  });
  process.exitCode = done.state === 'finished' ? 0 : 1;
} finally {
  await server.close();
  await llm.close();
  await rm(dataDir, { recursive: true, force: true });
}

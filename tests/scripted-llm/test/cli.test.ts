import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { expect, onTestFinished, test } from 'vitest';
import type { Turn } from '@metisai/scripted-llm';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

const runCli = async (script: unknown, args: string[] = []) => {
  const file = join(await mkdtemp(join(tmpdir(), 'scripted-llm-')), 'script.json');
  await writeFile(file, JSON.stringify(script));
  const child = spawn(process.execPath, [cli, '--script', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    child.kill();
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => (stdout += data));
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  const url = await new Promise<string | undefined>((resolve) => {
    child.stdout.on('data', () => {
      const match = /listening on (\S+)/.exec(stdout);
      if (match) resolve(match[1]);
    });
    child.once('exit', () => resolve(undefined));
  });
  return { child, url, output: () => ({ stdout, stderr }) };
};

test('the CLI serves a JSON script and prints its URL', async () => {
  const script: Turn[] = [{ toolCalls: [{ name: 'execute_bash', arguments: { command: 'ls' } }] }, { content: 'done' }];
  const { child, url } = await runCli(script, ['--api-key', 'sk-cli', '--loop']);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);

  const client = new OpenAI({ baseURL: url, apiKey: 'sk-cli', maxRetries: 0 });
  const answers = [];
  for (let i = 0; i < 3; i += 1) {
    const completion = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    answers.push(completion.choices[0]?.finish_reason);
  }
  expect(answers).toEqual(['tool_calls', 'stop', 'tool_calls']);

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
});

test('the CLI names the bad turn of an invalid script', async () => {
  const { child, url, output } = await runCli([{ content: 'ok' }, { toolCalls: [] }]);
  expect(url).toBeUndefined();
  expect(child.exitCode).toBe(2);
  expect(output().stderr).toContain('script.json[1]: toolCalls must be a non-empty array');
});

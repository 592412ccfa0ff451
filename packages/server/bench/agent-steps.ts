/**
 * Agent runtime, per step: a real server (in this process) runs a conversation whose scripted LLM answers
 * instantly with `execute_bash true` for 100 steps, then `finish`. An SSE client takes the time between two
 * consecutive `action` events as it receives them: one step end to end (observation stored and streamed, the
 * history rebuilt, the LLM called and its reply streamed, the action stored, NOTIFY, the feed's read, SSE).
 * The sandbox round trip alone (`shell.execute({ command: 'true' })`, 100×) is measured beside it.
 *
 *   node --conditions=@metisai/source packages/server/bench/agent-steps.ts
 *
 * DATABASE_URL uses that server instead of an embedded PostgreSQL. BENCH_AGENT_STEPS (100) changes the run's length.
 * The Docker rows are added when an engine answers and metisai/sandbox:latest (or SANDBOX_IMAGE) exists.
 */
import path from 'node:path';
import { dockerDriver, localDriver, type Sandbox } from '@metisai/sandbox';
import { startScriptedLlm, turns } from '@metisai/scripted-llm';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/server.ts';
import { json, percentile } from './child-process.ts';
import { actionTimes } from './action-times.ts';
import { benchServerConfig, openBenchDatabase } from './bench-database.ts';

const STEPS = Number(process.env.BENCH_AGENT_STEPS ?? 100);
const IMAGE = process.env.SANDBOX_IMAGE ?? 'metisai/sandbox:latest';
const progress = (message: string) => console.error(`[agent-steps] ${message}`);
const logger = createLogger('warn');

interface Figures {
  p50: number;
  p99: number;
  mean: number;
}
const figures = (values: number[]): Figures => ({
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  mean: values.reduce((sum, value) => sum + value, 0) / values.length,
});

/** One run of STEPS `execute_bash` steps (after a warm-up run that creates the sandbox); answers the step times. */
async function agentSteps(driver: 'local' | 'docker', databaseUrl: string, dataDir: string): Promise<number[]> {
  const llm = await startScriptedLlm({ script: [] });
  const config = benchServerConfig({ databaseUrl, dataDir }, driver, IMAGE);
  const server = await startServer({ config, logger });
  try {
    const base = `${server.url}/api/v1`;
    const { access_token: token } = await json(`${base}/auth/register`, {
      method: 'POST',
      body: JSON.stringify({ email: `bench-${driver}-${Date.now()}@example.com`, password: 'benchmark password' }),
    });
    const auth = { authorization: `Bearer ${token}` };
    await json(`${base}/settings`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ llm_model: 'scripted', llm_base_url: llm.url, llm_api_key: 'sk-bench', max_iterations: 1000 }),
    });
    const conversation = await json(`${base}/conversations`, { method: 'POST', headers: auth, body: '{}' });
    const waitFor = async (state: string) => {
      for (;;) {
        const current = await json(`${base}/conversations/${conversation.id}`, { headers: auth });
        if (current.state === state) return;
        if (current.state !== 'running') throw new Error(`conversation ${current.state}, expected ${state}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    // Warm-up: the first action creates (or, with Docker, starts) the sandbox; it stays live for the next run.
    // Each command differs (`true <n>`) so that stuck detection does not fire.
    llm.setScript([turns.toolCall('execute_bash', { command: 'true warm-up' }), turns.toolCall('finish', { message: 'warm' })]);
    await json(`${base}/conversations/${conversation.id}/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ content: 'warm up' }) });
    await waitFor('finished');

    llm.setScript((_request, index) =>
      index < STEPS ? turns.toolCall('execute_bash', { command: `true ${index + 1}` }) : turns.toolCall('finish', { message: 'done' }),
    );
    // The stream starts after the warm-up's events: only this run's actions are timed.
    const { data: warmUp } = await json(`${base}/conversations/${conversation.id}/events?limit=1000`, { headers: auth });
    const stream = actionTimes(`${base}/conversations/${conversation.id}/events?after=${warmUp.at(-1).seq}`, token, STEPS + 1);
    await stream.ready;
    const started = performance.now();
    await json(`${base}/conversations/${conversation.id}/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ content: 'go' }) });
    const times = await stream.done;
    progress(`${driver}: ${STEPS} steps in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    stream.close();
    await waitFor('finished');
    await fetch(`${base}/conversations/${conversation.id}`, { method: 'DELETE', headers: auth });
    return times.slice(1).map((at, i) => at - times[i]!);
  } finally {
    await server.close();
    await llm.close();
  }
}

/** 100 × `shell.execute({ command: 'true' })` on a started sandbox, after one warm-up. */
async function sandboxRoundTrips(sandbox: Sandbox): Promise<number[]> {
  try {
    await sandbox.shell.execute({ command: 'true' });
    const values: number[] = [];
    for (let i = 0; i < STEPS; i++) {
      const started = performance.now();
      await sandbox.shell.execute({ command: 'true' });
      values.push(performance.now() - started);
    }
    return values;
  } finally {
    await sandbox.remove();
  }
}

/** A sandbox of IMAGE starts: an engine answers and the image is there (it is neither built nor pulled). */
const dockerAnswers = async () => {
  try {
    const sandbox = await dockerDriver({ image: IMAGE, buildDefaultImage: false, onLog: () => {} }).create();
    await sandbox.remove();
    return true;
  } catch {
    return false;
  }
};

const bench = await openBenchDatabase('steps', logger, progress);
const { dataDir, databaseUrl } = bench;
try {
  const rows: { driver: string; steps: number[]; step: Figures; sandbox: Figures }[] = [];
  const drivers: ('local' | 'docker')[] = ['local'];
  if (await dockerAnswers()) drivers.push('docker');
  else progress(`no Docker engine (or no ${IMAGE}): the Docker rows are left out`);
  for (const driver of drivers) {
    progress(`${driver}: agent run`);
    const steps = await agentSteps(driver, databaseUrl, dataDir);
    progress(`${driver}: sandbox round trips`);
    const sandbox =
      driver === 'local'
        ? await localDriver({ rootDir: path.join(dataDir, 'bench-sandboxes'), onLog: () => {} }).create()
        : await dockerDriver({ image: IMAGE, buildDefaultImage: false, onLog: () => {} }).create();
    rows.push({ driver, steps, step: figures(steps), sandbox: figures(await sandboxRoundTrips(sandbox)) });
  }
  const ms = (value: number) => value.toFixed(1).padStart(7);
  console.log(`\n${STEPS} steps of \`execute_bash true\` (scripted LLM answering at once), times in ms, as received over SSE`);
  console.log('| driver | step p50 | step p99 | step mean | sandbox p50 | sandbox p99 | step − sandbox p50 | step − sandbox mean |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const { driver, step, sandbox } of rows) {
    console.log(
      `| ${driver} | ${ms(step.p50)} | ${ms(step.p99)} | ${ms(step.mean)} | ${ms(sandbox.p50)} | ${ms(sandbox.p99)} | ${ms(step.p50 - sandbox.p50)} | ${ms(step.mean - sandbox.mean)} |`,
    );
  }
  for (const { driver, steps } of rows) {
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log(
      `${driver}: the history grows with the run: steps 1–10 mean ${mean(steps.slice(0, 10)).toFixed(1)} ms, last 10 mean ${mean(steps.slice(-10)).toFixed(1)} ms`,
    );
  }
  const local = rows[0]!;
  console.log(`\ngoal: p50 < 15 ms per step (local): ${local.step.p50 < 15 ? 'met' : 'NOT met'} (${local.step.p50.toFixed(1)} ms)`);
} finally {
  await bench.close();
}

/**
 * Workspace snapshots and forks (docs/benchmarks.md): a real server (in this process) runs a conversation whose
 * workspace holds 1,000 files of 50 KiB (50 MiB, 10 directories), then STEPS bash steps that change nothing and STEPS
 * that rewrite one 10 KiB file, timed over SSE like agent-steps.ts (the scripted LLM answers at once, so the snapshot,
 * which overlaps the next LLM call, is waited for in full before the next action). Beside it: the snapshot alone
 * (`WorkspaceSnapshots.capture` on the same sandbox's files) without and with a change, listing the workspace itself and
 * from a listing already taken (as a bash step does: what the snapshot adds to it), the store's growth per step
 * (blob bytes and manifest bytes, from the database), the same steps with an LLM that answers in BENCH_LLM_DELAY_MS (500)
 * (what a step costs beyond the LLM's own latency once the snapshot overlaps it), and a fork: the `POST …/fork` request, then its workspace
 * restored and listed (the fork's sandbox created).
 *
 *   node --conditions=@metisai/source packages/server/bench/snapshots.ts [local|docker]
 *
 * DATABASE_URL uses that server instead of an embedded PostgreSQL. BENCH_SNAPSHOT_STEPS (50) changes the run lengths.
 */
import path from 'node:path';
import { dockerDriver, localDriver, type Sandbox } from '@metisai/sandbox';
import { startScriptedLlm, turns } from '@metisai/scripted-llm';
import pg from 'pg';
import { forgetWorkspace, runWithChangedFiles, takeStepListing, watchWorkspace } from '../src/agent/step-changes.ts';
import { createOrm } from '../src/db/orm.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/server.ts';
import { WorkspaceSnapshots } from '../src/services/workspace-snapshots.ts';
import { actionTimes } from './action-times.ts';
import { benchServerConfig, openBenchDatabase } from './bench-database.ts';
import { json, percentile } from './child-process.ts';

const STEPS = Number(process.env.BENCH_SNAPSHOT_STEPS ?? 50);
/** The LLM's latency in the second pair of runs (a real model takes seconds). */
const LLM_DELAY_MS = Number(process.env.BENCH_LLM_DELAY_MS ?? 500);
const DRIVER = (process.argv[2] ?? 'docker') as 'local' | 'docker';
const IMAGE = process.env.SANDBOX_IMAGE ?? 'metisai/sandbox:latest';
const progress = (message: string) => console.error(`[snapshots] ${message}`);
const logger = createLogger('warn');
const ms = (values: number[]) => `p50 ${percentile(values, 50).toFixed(1)} ms, p90 ${percentile(values, 90).toFixed(1)} ms`;

const bench = await openBenchDatabase('snapshots', logger, progress);
const { dataDir, databaseUrl } = bench;
try {
  const llm = await startScriptedLlm({ script: [] });
  const config = benchServerConfig(bench, DRIVER, IMAGE);
  const server = await startServer({ config, logger });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const base = `${server.url}/api/v1`;
    const { access_token: token, user } = await json(`${base}/auth/register`, {
      method: 'POST',
      body: JSON.stringify({ email: `bench-snapshots-${Date.now()}@example.com`, password: 'benchmark password' }),
    });
    const auth = { authorization: `Bearer ${token}` };
    await json(`${base}/settings`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ llm_model: 'scripted', llm_base_url: llm.url, llm_api_key: 'sk-bench', max_iterations: 1000 }),
    });
    const conversation = await json(`${base}/conversations`, { method: 'POST', headers: auth, body: '{}' });
    const id = conversation.id as string;
    const waitFinished = async () => {
      for (;;) {
        const current = await json(`${base}/conversations/${id}`, { headers: auth });
        if (current.state === 'finished') return current;
        if (current.state !== 'running') throw new Error(`conversation ${current.state}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    /** The snapshot store as it grows: rows, the user's blobs (file bytes and manifest chunks), manifest indexes. */
    const store = async () => {
      const { rows } = await db.query<{ rows: string; blobs: string; manifests: string }>(
        `select (select count(*) from workspace_snapshots where conversation_id = $1) as rows,
           (select coalesce(sum(size_bytes), 0) from snapshot_blobs where user_id = $2) as blobs,
           (select coalesce(sum(octet_length(manifest)), 0) from workspace_snapshots where conversation_id = $1) as manifests`,
        [id, user.id],
      );
      return { rows: Number(rows[0]!.rows), blobs: Number(rows[0]!.blobs), manifests: Number(rows[0]!.manifests) };
    };
    /** One run of STEPS bash steps (`command(n)`), timed between consecutive actions over SSE; the LLM answers after `delayMs`. */
    const timedRun = async (command: (n: number) => string, delayMs = 0) => {
      llm.setScript((_request, index) =>
        index < STEPS ? turns.toolCall('execute_bash', { command: command(index + 1) }, { delayMs }) : turns.toolCall('finish', { message: 'done' }),
      );
      const { data: before } = await json(`${base}/conversations/${id}/events?limit=1000`, { headers: auth });
      const stream = actionTimes(`${base}/conversations/${id}/events?after=${before.at(-1).seq}`, token, STEPS + 1);
      await stream.ready;
      await json(`${base}/conversations/${id}/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ content: 'go' }) });
      const times = await stream.done;
      stream.close();
      await waitFinished();
      return times.slice(1).map((at, i) => at - times[i]!);
    };

    progress(`${DRIVER}: writing 1,000 files of 50 KiB`);
    llm.setScript([
      turns.toolCall('execute_bash', {
        command: 'for d in $(seq 1 10); do mkdir -p d$d; for f in $(seq 1 100); do head -c 51200 /dev/urandom > d$d/f$f; done; done; du -sb .',
        timeout: 300,
      }),
      turns.toolCall('finish', { message: 'ready' }),
    ]);
    const firstStarted = performance.now();
    await json(`${base}/conversations/${id}/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ content: 'fill' }) });
    await waitFinished();
    const first = await store();
    progress(`${DRIVER}: filled and first snapshot in ${((performance.now() - firstStarted) / 1000).toFixed(1)} s (${first.blobs} blob bytes)`);

    progress(`${DRIVER}: ${STEPS} steps that change nothing`);
    const quiet = await timedRun((n) => `true ${n}`);
    const afterQuiet = await store();
    progress(`${DRIVER}: ${STEPS} steps that rewrite one 10 KiB file`);
    const changing = await timedRun((n) => `head -c 10240 /dev/urandom > d1/f1 # ${n}`);
    const afterChanging = await store();
    progress(`${DRIVER}: the same with an LLM that answers in ${LLM_DELAY_MS} ms (the snapshot overlaps it)`);
    const quietSlow = await timedRun((n) => `true slow ${n}`, LLM_DELAY_MS);
    const changingSlow = await timedRun((n) => `head -c 10240 /dev/urandom > d1/f1 # slow ${n}`, LLM_DELAY_MS);

    // The snapshot alone, on the same sandbox's files (through the Engine API / the host, as the server reaches them).
    const { sandbox_id: sandboxId } = (await db.query<{ sandbox_id: string }>('select sandbox_id from conversations where id = $1', [id])).rows[0]!;
    const driver = DRIVER === 'docker' ? dockerDriver({ image: IMAGE, buildDefaultImage: false }) : localDriver({ rootDir: path.join(dataDir, 'sandboxes') });
    const attached = await driver.attachFiles(sandboxId);
    const orm = await createOrm({ databaseUrl, logger });
    const snapshots = new WorkspaceSnapshots({ orm, logger });
    const owner = { id, userId: user.id as string };
    let seq = 1_000_000;
    await snapshots.capture(owner, attached.files, attached.workdir, seq++);
    const captureQuiet: number[] = [];
    for (let i = 0; i < STEPS; i++) {
      const started = performance.now();
      await snapshots.capture(owner, attached.files, attached.workdir, seq++);
      captureQuiet.push(performance.now() - started);
    }
    const captureChange: number[] = [];
    for (let i = 0; i < STEPS; i++) {
      await attached.files.writeFile(`${attached.workdir}/d2/f${i + 1}`, new Uint8Array(10_240).fill(i));
      const started = performance.now();
      await snapshots.capture(owner, attached.files, attached.workdir, seq++);
      captureChange.push(performance.now() - started);
    }
    // As a bash step takes it: the run keeps its listing of the workspace up to date (through change notifications
    // where the files offer them: on Docker when the volume's directory is readable here; else a scan of changes), its
    // changed files come from it, and the snapshot works from that listing: what the snapshot adds.
    const probe = await attached.files.watch?.(await attached.files.realpath(attached.workdir));
    const watched = probe != null;
    probe?.watch.close();
    const run = {};
    const sandboxView = { id: sandboxId, workdir: attached.workdir, files: attached.files } as unknown as Sandbox;
    await watchWorkspace(run, sandboxView);
    const relists: number[] = [];
    const fromListingQuiet: number[] = [];
    const fromListingChange: number[] = [];
    for (let i = 0; i < STEPS; i++) {
      let started = performance.now();
      await runWithChangedFiles(run, sandboxView, async () => ({}));
      relists.push(performance.now() - started);
      started = performance.now();
      await snapshots.capture(owner, attached.files, attached.workdir, seq++, takeStepListing(run));
      fromListingQuiet.push(performance.now() - started);
    }
    for (let i = 0; i < STEPS; i++) {
      await attached.files.writeFile(`${attached.workdir}/d3/f${i + 1}`, new Uint8Array(10_240).fill(i + 1));
      await runWithChangedFiles(run, sandboxView, async () => ({}));
      const started = performance.now();
      await snapshots.capture(owner, attached.files, attached.workdir, seq++, takeStepListing(run));
      fromListingChange.push(performance.now() - started);
    }
    forgetWorkspace(run);
    await orm.close();

    progress(`${DRIVER}: forks`);
    const forks: string[] = [];
    const forkTimes: number[] = [];
    const readyTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const fork = await json(`${base}/conversations/${id}/fork`, { method: 'POST', headers: auth, body: '{}' });
      forkTimes.push(performance.now() - started);
      forks.push(fork.id);
      const listed = await json(`${base}/conversations/${fork.id}/files?path=d1&limit=1000`, { headers: auth });
      readyTimes.push(performance.now() - started);
      if (listed.data.length !== 100) throw new Error(`the fork lists ${listed.data.length} files in d1`);
    }

    // Deleting them removes their sandboxes and workspaces (Docker containers and volumes) too.
    for (const conversationId of [...forks, id]) await fetch(`${base}/conversations/${conversationId}`, { method: 'DELETE', headers: auth });

    const per = (after: { blobs: number; manifests: number; rows: number }, before: typeof after) =>
      `${((after.blobs - before.blobs) / STEPS / 1024).toFixed(1)} KiB blobs (file bytes and manifest chunks) + ${((after.manifests - before.manifests) / STEPS / 1024).toFixed(1)} KiB manifest index, ${((after.rows - before.rows) / STEPS).toFixed(2)} rows`;
    console.log(`\n${DRIVER}, workspace of 1,000 files / 50 MiB, ${STEPS} steps each`);
    console.log(`| measurement | ${DRIVER} |`);
    console.log('|---|---|');
    console.log(`| step end to end, nothing changed | ${ms(quiet)} |`);
    console.log(`| step end to end, one 10 KiB file changed | ${ms(changing)} |`);
    const beyond = (values: number[]) =>
      `p50 ${(percentile(values, 50) - LLM_DELAY_MS).toFixed(1)} ms, p90 ${(percentile(values, 90) - LLM_DELAY_MS).toFixed(1)} ms`;
    console.log(`| step beyond an LLM answering in ${LLM_DELAY_MS} ms, nothing changed | ${beyond(quietSlow)} |`);
    console.log(`| step beyond an LLM answering in ${LLM_DELAY_MS} ms, one 10 KiB file changed | ${beyond(changingSlow)} |`);
    console.log(`| snapshot alone, nothing changed | ${ms(captureQuiet)} |`);
    console.log(`| snapshot alone, one 10 KiB file changed | ${ms(captureChange)} |`);
    console.log(`| the run's listing brought up to date, nothing changed (${watched ? 'change notifications' : 'scan of changes'}) | ${ms(relists)} |`);
    console.log(`| snapshot from the step's listing, nothing changed (what a step adds) | ${ms(fromListingQuiet)} |`);
    console.log(`| snapshot from the step's listing, one 10 KiB file changed | ${ms(fromListingChange)} |`);
    console.log(`| store growth per step, nothing changed | ${per(afterQuiet, first)} |`);
    console.log(`| store growth per step, one 10 KiB file changed | ${per(afterChanging, afterQuiet)} |`);
    console.log(
      `| first snapshot (all 1,000 files read) | ${(first.blobs / 1024 / 1024).toFixed(1)} MiB blobs (files and manifest chunks), ${(first.manifests / 1024).toFixed(1)} KiB manifest index |`,
    );
    console.log(`| fork: POST …/fork | ${ms(forkTimes)} |`);
    console.log(`| fork: POST …/fork until its files list (sandbox created, 50 MiB restored) | ${ms(readyTimes)} |`);
  } finally {
    await db.end();
    await server.close();
    await llm.close();
  }
} finally {
  await bench.close();
}

/**
 * npm run bench -w @metisai/sandbox
 * Cold start, pooled start, shell round trip and file round trip, each beside the docker CLI
 * doing the same. Prints a markdown table (docs/benchmarks/sandbox.md holds the figures).
 * BENCH_IMAGE overrides the image (default: the default sandbox image).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { dockerDriver, localDriver, SandboxPool, type Sandbox } from '../src/index.ts';
import { CommandTranscript } from '../src/shell/command-transcript.ts';

const run = promisify(execFile);
const dockerCli = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const image = process.env.BENCH_IMAGE ?? 'metisai/sandbox:latest';
const owner = 'metisai-bench';
const docker = new Docker();
const driver = dockerDriver({ docker, image, owner });

const percentile = (samples: number[], p: number): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
};
const ms = (value: number) => (value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0));

async function time(count: number, action: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await action();
    samples.push(performance.now() - started);
  }
  return samples;
}

interface Row {
  what: string;
  n: number;
  samples: number[];
  high: number;
}
const rows: Row[] = [];
const record = (what: string, samples: number[], high = 95) => {
  rows.push({ what, n: samples.length, samples, high });
  console.error(`  ${what}: p50 ${ms(percentile(samples, 50))} ms`);
};

const mustRun = async (sandbox: Sandbox, command: string) => {
  const result = await sandbox.shell.execute({ command, timeout: 60 });
  if (result.exitCode !== 0) throw new Error(result.text);
};

console.error(`[bench] image ${image}, ${cpus().length} CPUs, Node ${process.version}`);
await driver.reap({ keep: [] });

// Cold start: create + start + shell ready + first `true`.
console.error('[bench] cold start');
const cold: Sandbox[] = [];
record(
  'cold start: create → shell ready → first `true` (dockerDriver().create)',
  await time(20, async () => {
    const sandbox = await driver.create();
    await mustRun(sandbox, 'true');
    cold.push(sandbox);
  }),
);
await Promise.all(cold.splice(0).map((sandbox) => sandbox.remove()));
record('`docker run --rm IMAGE true` (CLI)', await time(20, () => run(dockerCli, ['run', '--rm', image, 'true'])));

// Pre-started pool: acquire (with env) + first `true`.
console.error('[bench] pool');
const pool = new SandboxPool({ size: 1, create: () => driver.create() });
const pooled: Sandbox[] = [];
const poolSamples: number[] = [];
for (let i = 0; i < 20; i++) {
  await pool.fill();
  const started = performance.now();
  const sandbox = await pool.acquire({ env: { CONVERSATION_TOKEN: `t${i}` } });
  await mustRun(sandbox, 'true');
  poolSamples.push(performance.now() - started);
  pooled.push(sandbox);
}
record('pooled start: SandboxPool.acquire({ env }) → first `true`', poolSamples);
await pool.close();
await Promise.all(pooled.splice(0).map((sandbox) => sandbox.remove()));

// Round trip of `true` through the persistent shell.
console.error('[bench] round trip');
const sandbox = await driver.create();
await time(20, () => mustRun(sandbox, 'true'));
record('`true` through the persistent shell (Docker)', await time(200, () => mustRun(sandbox, 'true')), 99);
record('`docker exec CONTAINER true` (CLI)', await time(100, () => run(dockerCli, ['exec', sandbox.id, 'true'])), 99);
const container = docker.getContainer(sandbox.id);
record(
  'exec create + start + wait of `true` (dockerode API)',
  await time(50, async () => {
    const exec = await container.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    await new Promise((resolve) => {
      stream.on('end', resolve);
      stream.resume();
    });
  }),
  99,
);

// Rendering large output: 100 000 numbered lines (≈ 590 KB) through xterm, cut to head and
// tail, the full output written to the sandbox; beside the same command printing nothing.
console.error('[bench] large output');
const SEQ = 'seq 1 100000';
record('`seq 1 100000 >/dev/null` through the persistent shell (Docker)', await time(10, () => mustRun(sandbox, `${SEQ} >/dev/null`)));
record('`seq 1 100000` through the persistent shell: rendered, head + tail, full-output file (Docker)', await time(10, () => mustRun(sandbox, SEQ)));

// 1 MiB file write + read.
console.error('[bench] files');
const payload = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff);
const roundTrip = async (box: Sandbox, path: string) => {
  await box.files.writeFile(path, payload);
  const back = await box.files.readFile(path);
  if (back.byteLength !== payload.byteLength) throw new Error('short read');
};
record('1 MiB writeFile + readFile (Docker archive API)', await time(20, () => roundTrip(sandbox, '/workspace/bench.bin')));
const cliFile = join(tmpdir(), 'metis-bench.bin');
const { writeFile } = await import('node:fs/promises');
await writeFile(cliFile, payload);
record(
  '1 MiB `docker cp` in + out (CLI)',
  await time(20, async () => {
    await run(dockerCli, ['cp', cliFile, `${sandbox.id}:/workspace/cli.bin`]);
    await run(dockerCli, ['cp', `${sandbox.id}:/workspace/cli.bin`, `${cliFile}.back`]);
  }),
);
await rm(cliFile, { force: true });
await rm(`${cliFile}.back`, { force: true });
await sandbox.remove();

// The local driver, for comparison.
console.error('[bench] local driver');
const rootDir = await mkdtemp(join(tmpdir(), 'metis-bench-'));
const locals: Sandbox[] = [];
const localSandboxes = localDriver({ rootDir, owner, onLog: () => undefined });
record(
  'local driver: create → shell ready → first `true`',
  await time(20, async () => {
    const box = await localSandboxes.create();
    await mustRun(box, 'true');
    locals.push(box);
  }),
);
const local = locals[0] as Sandbox;
record('`true` through the persistent shell (local)', await time(200, () => mustRun(local, 'true')), 99);
record('`echo hi` through the persistent shell: output rendered (local)', await time(200, () => mustRun(local, 'echo hi')), 99);
record('`seq 1 100000 >/dev/null` through the persistent shell (local)', await time(10, () => mustRun(local, `${SEQ} >/dev/null`)));
record('`seq 1 100000` through the persistent shell: rendered, head + tail, full-output file (local)', await time(10, () => mustRun(local, SEQ)));
const numbered = Array.from({ length: 100_000 }, (_, i) => `${i + 1}\n`).join('');
const renderAlone = async (raw: string) => {
  const transcript = new CommandTranscript({ headChars: 15_000, tailChars: 15_000, fullMaxBytes: 10 * 1024 * 1024 });
  transcript.write(raw);
  await transcript.take();
  transcript.dispose();
};
record('rendering alone: 100 000 lines (590 KB) of plain text, CommandTranscript', await time(10, () => renderAlone(numbered)));
record('rendering alone: the same after a colour code, through the terminal emulator (xterm)', await time(10, () => renderAlone(`\x1b[0m${numbered}`)));
record('1 MiB writeFile + readFile (local)', await time(20, () => roundTrip(local, join(local.workdir, 'bench.bin'))));
await Promise.all(locals.map((box) => box.remove()));
await rm(rootDir, { recursive: true, force: true });

const median = (what: string) => percentile(rows.find((row) => row.what.startsWith(what))?.samples ?? [], 50);
console.log(`\n| measurement | n | p50 ms | p95/p99 ms |\n|---|---:|---:|---:|`);
for (const row of rows) console.log(`| ${row.what} | ${row.n} | ${ms(percentile(row.samples, 50))} | p${row.high} ${ms(percentile(row.samples, row.high))} |`);
console.log(
  `\nshell round trip vs \`docker exec\` CLI: ${(median('`docker exec') / median('`true` through the persistent shell (Docker)')).toFixed(0)}× faster (p50); ` +
    `cold start vs \`docker run --rm\`: ${(median('`docker run') / median('cold start')).toFixed(2)}×`,
);

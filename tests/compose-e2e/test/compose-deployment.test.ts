import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../scripts/compose-smoke.sh', import.meta.url));

/** Whether `command args…` exits 0. */
const succeeds = (command: string, args: string[]) =>
  run(command, args, { timeout: 20_000 }).then(
    () => true,
    () => false,
  );

/**
 * Why the deployment test cannot run here, or null. `METIS_SKIP_COMPOSE_E2E=1` skips it on a laptop; with `CI` set,
 * a skip request, a missing engine or a missing compose fails the run instead (`.ci/run` provides both).
 */
async function reasonToSkip(): Promise<string | null> {
  let reason: string | null = null;
  if (process.env.METIS_SKIP_COMPOSE_E2E === '1') reason = 'METIS_SKIP_COMPOSE_E2E=1';
  else if (!(await succeeds('docker', ['info']))) reason = 'no Docker engine answers (scripts/ensure-docker.sh starts one)';
  else if (!(await succeeds('docker', ['compose', 'version'])) && !(await succeeds('docker-compose', ['version'])))
    reason = "neither 'docker compose' nor 'docker-compose' is installed";
  if (reason && process.env.CI) throw new Error(`CI is set but the compose deployment test cannot run: ${reason}`);
  if (reason) console.warn(`[compose-e2e] skipping the docker compose deployment test: ${reason}`);
  return reason;
}

const skip = await reasonToSkip();

test.skipIf(skip !== null)('the compose deployment behind nginx, end to end (scripts/compose-smoke.sh passes and leaves nothing behind)', async () => {
  const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, output.slice(-4000)).toBe(0);
  expect(output).toMatch(/^\[[\d:]+\] PASS$/m);
});

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { INTERRUPTED_START } from '../../src/services/agents.ts';
// The sandbox package's policy, reused as is: no engine → a warning and a skip; CI set and no engine → a failure.
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { removeSandboxesOf } from '../runtime/runtime-harness.ts';
import { eventually, Http, registerUser } from '../support/http.ts';
import { startServerProcess } from '../support/server-process.ts';
import { createTestDatabase, startTestServer, TEST_SECRET_KEY } from '../support/test-server.ts';

/**
 * The sandbox image is built by the server when it is missing (the item 7): here a tiny image from a test
 * Dockerfile (`SANDBOX_DOCKERFILE`), under a unique tag that is removed afterwards; metisai/sandbox:latest is never
 * touched.
 */
const docker = new Docker();
/** On every layer of this file's test images after `FROM`, so that the leftovers of failed builds can be pruned. */
const TEST_LABEL = 'org.metisai.test=image-build';
let dir: string;
const tags: string[] = [];
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'metis-image-build-'));
});
afterAll(async () => {
  for (const tag of tags) {
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  }
  // Steps committed by builds that failed or were killed stay as untagged images: ours carry the label.
  await docker.pruneImages({ filters: { dangling: ['true'], label: [TEST_LABEL] } }).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

/**
 * A unique tag (removed after the file) and a Dockerfile: `ARG`, `FROM`, a first `RUN` unique to this call (so no
 * layer comes from the engine's cache of an earlier run), then `runs`.
 */
async function testImage(name: string, runs: string[]): Promise<{ tag: string; dockerfile: string }> {
  const id = randomUUID().slice(0, 8);
  const tag = `metisai-test/${name}-${id}:latest`;
  tags.push(tag);
  const dockerfile = path.join(dir, `${name}.Dockerfile`);
  await writeFile(
    dockerfile,
    ['ARG BASE_IMAGE', 'FROM ${BASE_IMAGE}', `LABEL ${TEST_LABEL}`, `RUN echo ${id} > /build-id`, ...runs.map((run) => `RUN ${run}`), ''].join('\n'),
  );
  return { tag, dockerfile };
}

const buildEnv = (image: { tag: string; dockerfile: string }, extra: Record<string, string> = {}) => ({
  SANDBOX_DRIVER: 'docker',
  SANDBOX_IMAGE: image.tag,
  SANDBOX_DOCKERFILE: image.dockerfile,
  SANDBOX_IMAGE_BUILD: 'on',
  ...extra,
});

/** A logger whose lines the test reads. */
function capturingLogger() {
  const lines: Array<Record<string, any>> = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

type Snapshot = { status: string; status_message: string | null; status_detail: Record<string, any> | null };

/** Polls the agent until it leaves `starting`, recording every distinct answer on the way. */
async function followStart(http: Http, agentId: string, timeoutMs = 120_000): Promise<Snapshot[]> {
  const seen: Snapshot[] = [];
  await eventually(async () => {
    const { status, status_message, status_detail } = (await http.get(`/api/v1/agents/${agentId}`)).body as Snapshot;
    const last = seen.at(-1);
    if (!last || last.status !== status || last.status_message !== status_message) seen.push({ status, status_message, status_detail });
    return status !== 'starting';
  }, timeoutMs);
  return seen;
}

async function startAgent(http: Http, name: string, config: Record<string, unknown> = {}): Promise<string> {
  const created = await http.post('/api/v1/agents', { name, config });
  expect(created.status).toBe(201);
  expect((await http.post(`/api/v1/agents/${created.body.id}/start`)).status).toBe(202);
  return created.body.id;
}

const buildRow = async (databaseUrl: string, image: string) => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query('select status, step, steps, error from image_builds where image = $1', [image])).rows[0];
  } finally {
    await client.end();
  }
};

describe.skipIf(!hasDocker)('the sandbox image build', () => {
  test('two processes start; one builds the missing image in the background, and agents starting on either show its steps, then run', async () => {
    const image = await testImage('two-processes', ['echo one > /one && sleep 2', 'echo two > /two && sleep 2', 'echo three > /three && sleep 2']);
    const a = capturingLogger();
    const b = capturingLogger();
    const first = await startTestServer({ env: buildEnv(image), logger: a.logger });
    const second = await startTestServer({ databaseUrl: first.databaseUrl, env: buildEnv(image), logger: b.logger });
    try {
      const user = await registerUser(new Http(first.url), 'image-build');
      const onSecond = new Http(second.url, user.token);
      const [viaFirst, viaSecond] = [await startAgent(user.http, 'first'), await startAgent(onSecond, 'second')];
      const [seenFirst, seenSecond] = await Promise.all([followStart(user.http, viaFirst), followStart(onSecond, viaSecond)]);

      for (const seen of [seenFirst, seenSecond]) {
        expect(seen.at(-1)).toEqual({ status: 'running', status_message: null, status_detail: null });
        const building = seen.filter((snapshot) => snapshot.status_detail?.phase === 'building_image');
        expect(building.length).toBeGreaterThan(0);
        for (const snapshot of building) {
          expect(snapshot.status_detail).toMatchObject({ image: image.tag, started_at: expect.any(String), log_lines: expect.any(Number) });
          expect(snapshot.status_message).toContain(`Building the sandbox image ${image.tag}`);
        }
        const steps = building.map((snapshot) => snapshot.status_detail!.step).filter((step): step is number => step !== null);
        // Step n of 7 (ARG, FROM, LABEL, four RUNs), only ever forward, the RUN steps seen as they ran.
        expect(steps).toEqual([...steps].sort((x, y) => x - y));
        expect(new Set(steps).size).toBeGreaterThan(1);
        const numbered = building.find((snapshot) => snapshot.status_detail!.step !== null)!;
        expect(numbered.status_detail).toMatchObject({ steps: 7 });
        expect(numbered.status_message).toMatch(/: step \d of 7/);
        expect(building.some((snapshot) => snapshot.status_detail!.instruction?.startsWith('RUN echo'))).toBe(true);
      }
      // Built once, by one of the two processes; the other waited for it.
      const logs = [...a.lines, ...b.lines];
      expect(logs.filter((line) => line.msg?.startsWith('building the sandbox image'))).toHaveLength(1);
      expect(logs.filter((line) => line.msg === 'built the sandbox image')).toHaveLength(1);
      expect(logs.filter((line) => line.msg?.startsWith('another process builds the sandbox image'))).toHaveLength(1);
      expect(await buildRow(first.databaseUrl, image.tag)).toMatchObject({ status: 'succeeded', step: 7, steps: 7, error: null });
      // The warm pools hold sandboxes of the new image.
      expect((await docker.getImage(image.tag).inspect()).RepoTags).toContain(image.tag);
    } finally {
      await second.close();
      await first.close();
      await removeSandboxesOf(first.databaseUrl);
    }
  }, 180_000);

  test('a failing build ends the starting agent in error with the end of the build log; the next start builds again', async () => {
    const image = await testImage('failing', ['echo the-build-log-ends-here && exit 7']);
    const server = await startTestServer({ env: buildEnv(image) });
    try {
      const user = await registerUser(new Http(server.url), 'image-fails');
      const agentId = await startAgent(user.http, 'doomed');
      const seen = await followStart(user.http, agentId);
      const failed = seen.at(-1)!;
      expect(failed).toMatchObject({ status: 'error', status_detail: null });
      expect(failed.status_message).toContain(`Building sandbox image "${image.tag}" failed`);
      expect(failed.status_message).toContain('returned a non-zero code: 7');
      expect(failed.status_message).toMatch(/End of the build log:\n[\s\S]*the-build-log-ends-here/);
      expect(failed.status_message!.length).toBeLessThanOrEqual(4000);
      expect(await buildRow(server.databaseUrl, image.tag)).toMatchObject({ status: 'failed', error: failed.status_message });

      // Fixed Dockerfile: starting again builds again, and the agent runs.
      await writeFile(image.dockerfile, `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nLABEL ${TEST_LABEL}\nRUN echo fixed-${randomUUID()} > /fixed\n`);
      expect((await user.http.post(`/api/v1/agents/${agentId}/start`)).status).toBe(202);
      expect((await followStart(user.http, agentId)).at(-1)).toEqual({ status: 'running', status_message: null, status_detail: null });
      expect(await buildRow(server.databaseUrl, image.tag)).toMatchObject({ status: 'succeeded' });
    } finally {
      await server.close();
      await removeSandboxesOf(server.databaseUrl);
    }
  }, 180_000);

  test('SANDBOX_IMAGE_BUILD=off: a missing image is neither built nor pulled, and the start says so', async () => {
    const image = await testImage('off', ['true']);
    const server = await startTestServer({ env: buildEnv(image, { SANDBOX_IMAGE_BUILD: 'off' }) });
    try {
      const user = await registerUser(new Http(server.url), 'image-off');
      const seen = await followStart(user.http, await startAgent(user.http, 'no-image'));
      expect(seen.at(-1)).toMatchObject({ status: 'error', status_detail: null, status_message: expect.stringContaining('never pulled') });
      expect(seen.at(-1)!.status_message).toContain('SANDBOX_IMAGE_BUILD is off: build it with `npm run image -w @metisai/sandbox`');
      expect(seen.some((snapshot) => snapshot.status_detail !== null)).toBe(false);
      expect(await buildRow(server.databaseUrl, image.tag)).toBeUndefined();
      await expect(docker.getImage(image.tag).inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await server.close();
    }
  });

  test('the building process dies (SIGKILL): the next process takes the build over, and its agent left starting ends in error', async () => {
    const image = await testImage('takeover', ['echo one > /one && sleep 2', 'echo two > /two && sleep 2', 'echo three > /three']);
    const databaseUrl = await createTestDatabase();
    const env = { DATABASE_URL: databaseUrl, SECRET_KEY: TEST_SECRET_KEY, NODE_ENV: 'test', METIS_DATA_DIR: dir, ...buildEnv(image) };
    const dying = await startServerProcess(env);
    let next: Awaited<ReturnType<typeof startTestServer>> | undefined;
    try {
      const user = await registerUser(new Http(dying.url), 'image-takeover');
      const orphan = await startAgent(user.http, 'orphan');
      // Killed while it builds a RUN step.
      await eventually(async () => (await user.http.get(`/api/v1/agents/${orphan}`)).body.status_detail?.step >= 5, 60_000);
      expect(await dying.stop('SIGKILL')).toBeNull();
      expect(await buildRow(databaseUrl, image.tag)).toMatchObject({ status: 'building' });

      const logs = capturingLogger();
      next = await startTestServer({ databaseUrl, env: buildEnv(image, { METIS_DATA_DIR: dir }), logger: logs.logger });
      const http = new Http(next.url, user.token);
      expect((await http.get(`/api/v1/agents/${orphan}`)).body).toMatchObject({ status: 'error', status_message: INTERRUPTED_START });
      const again = await startAgent(http, 'after the crash');
      expect((await followStart(http, again)).at(-1)).toMatchObject({ status: 'running' });
      expect(logs.lines.filter((line) => line.msg?.startsWith('building the sandbox image'))).toHaveLength(1);
      expect(await buildRow(databaseUrl, image.tag)).toMatchObject({ status: 'succeeded' });
    } finally {
      if (dying.child.exitCode === null && dying.child.signalCode === null) await dying.stop('SIGKILL');
      await next?.close();
      await removeSandboxesOf(databaseUrl);
    }
  }, 180_000);
});

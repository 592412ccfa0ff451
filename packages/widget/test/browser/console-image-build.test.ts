import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { turns } from '@metisai/scripted-llm';
import { MetisClient } from '@metisai/sdk';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { removeSandboxesOf } from '../../../server/test/runtime/runtime-harness.ts';
import { startTestServer } from '../../../server/test/support/test-server.ts';
import { CONSOLE_OUTPUT_DIR, hasChromium, headingState, PASSWORD, startConsoleStack, uniqueEmail, type ConsoleStack } from '../support/console-harness.ts';

// The agent page while the first start builds the sandbox image: a server on the Docker driver whose image is missing
// builds it from a test Dockerfile (a unique tag, removed afterwards; metisai/sandbox:latest is never touched), and the
// page shows the build's step of steps as a progress bar until the agent runs.

const docker = new Docker();
/** On the test image's layers, so that what a failed build leaves can be pruned. */
const TEST_LABEL = 'org.metisai.test=console-image-build';
let stack: ConsoleStack;
let dir: string;
let tag: string;

beforeAll(async () => {
  if (!hasChromium || !hasDocker) return;
  dir = await mkdtemp(path.join(tmpdir(), 'metis-console-build-'));
  const id = randomUUID().slice(0, 8);
  tag = `metisai-test/console-build-${id}:latest`;
  // Four RUN steps of about a second each (the first unique, so no layer comes from the engine's cache).
  const runs = [`echo ${id} > /build-id && sleep 1`, 'sleep 1', 'sleep 1', 'sleep 1'];
  await writeFile(
    path.join(dir, 'Dockerfile'),
    ['ARG BASE_IMAGE', 'FROM ${BASE_IMAGE}', `LABEL ${TEST_LABEL}`, ...runs.map((run) => `RUN ${run}`), ''].join('\n'),
  );
  // The stack's own server is not used here: only its browser (and the console build its global setup made).
  stack = await startConsoleStack({ script: () => turns.text('unused') });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  if (tag) {
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
    await docker.pruneImages({ filters: { dangling: ['true'], label: [TEST_LABEL] } }).catch(() => undefined);
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium || !hasDocker)('the first start of an agent builds the sandbox image', () => {
  test('the agent page shows the build step by step as a progress bar, then the agent runs', async () => {
    const server = await startTestServer({
      env: { SANDBOX_DRIVER: 'docker', SANDBOX_IMAGE: tag, SANDBOX_DOCKERFILE: path.join(dir, 'Dockerfile'), SANDBOX_IMAGE_BUILD: 'on' },
    });
    try {
      const client = new MetisClient({ baseUrl: server.url });
      const { access_token: token } = await client.auth.register({ email: uniqueEmail('image-build'), password: PASSWORD });
      const agent = await client.agents.create({ name: 'First start', config: { warm_pool_size: 0 } });
      // In Chinese: the build's sentence is told from its structured progress, not the server's English one.
      const { page, errors } = await stack.newPage({ token, locale: 'zh-CN' });
      await page.goto(`${server.url}/agents/${agent.id}`);
      await expect.poll(() => headingState(page)).toMatchObject({ text: 'First start', isFocused: true });
      await expect.poll(() => page.locator('metis-console [data-action="start-agent"]').isEnabled()).toBe(true);
      await page.locator('metis-console [data-action="start-agent"]').click();

      // Every distinct state of the bar while the agent starts, read as the reader sees it.
      const seen: Array<{ value: number | null; max: number | null; label: string; message: string; canStop: boolean }> = [];
      const status = page.locator('metis-console [data-agent-status]');
      await expect
        .poll(
          async () => {
            const bar = page.locator('metis-console [data-build-progress]');
            if ((await bar.count()) > 0) {
              const state = await bar.evaluate((element: HTMLProgressElement) => ({
                value: element.hasAttribute('value') ? element.value : null,
                max: element.hasAttribute('max') ? element.max : null,
                label: element.getAttribute('aria-label') ?? '',
              }));
              const message =
                (await page
                  .locator('metis-console [data-status-message]')
                  .textContent()
                  .catch(() => null)) ?? '';
              const canStop = await page
                .locator('metis-console [data-action="stop-agent"]')
                .isEnabled({ timeout: 1_000 })
                .catch(() => false);
              const last = seen.at(-1);
              if (!last || last.value !== state.value || last.max !== state.max) {
                seen.push({ ...state, message, canStop });
                if (state.value !== null && seen.filter((entry) => entry.value !== null).length === 1)
                  await page.screenshot({ path: path.join(CONSOLE_OUTPUT_DIR, 'agent-building-zh-light.png') });
              }
            }
            return status.getAttribute('data-status');
          },
          { timeout: 150_000, interval: 200 },
        )
        .toMatch(/^(running|error)$/);
      const ended = await client.agents.get(agent.id);
      expect(ended, 'the agent runs').toMatchObject({ status: 'running', status_message: null });

      const numbered = seen.filter((state) => state.value !== null);
      // ARG, FROM, LABEL and four RUNs: 7 steps, seen moving forward, with the sentence beside the bar.
      expect(numbered.length, JSON.stringify(seen)).toBeGreaterThan(1);
      for (const state of numbered) {
        expect(state.max).toBe(7);
        expect(state.message).toContain(`正在构建沙箱镜像 ${tag}`);
        expect(state.label).toMatch(/第 \d 步，共 7 步/);
        // A long build can be stopped.
        expect(state.canStop).toBe(true);
      }
      const values = numbered.map((state) => state.value!);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      // Once it runs, the bar is gone and a conversation can start.
      expect(await page.locator('metis-console [data-build-progress]').count()).toBe(0);
      expect(await page.locator('metis-console [data-action="new-conversation"]').isEnabled()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await server.close();
      await removeSandboxesOf(server.databaseUrl);
    }
  }, 240_000);
});

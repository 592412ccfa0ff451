// `npm run bench:console -w @metisai/widget`: the time from `npm start` to the first contentful paint of the console's
// /login, in Debian's Chromium. The first start (database init, a console build if stale) is done before measuring; then
// each run starts `npm start` again on the same data directory, polls /healthz, loads /login in a browser launched
// beforehand, and reads the paint time. Prints each run and the median. Not part of `npm test`.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Starts `npm start` in its own process group; answers it and the time it was spawned (epoch ms). */
function start(dataDir, port) {
  const startedAt = Date.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: {
      ...process.env,
      METIS_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
      SANDBOX_DRIVER: 'local',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  return { child, startedAt };
}

const stop = (child) =>
  new Promise((resolve) => {
    child.once('exit', resolve);
    process.kill(-child.pid, 'SIGTERM');
  });

async function waitForHealth(url) {
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return Date.now();
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-fcp-'));
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  // The first start: database init (and a console build when stale), not measured.
  const firstPort = await freePort();
  const first = start(dataDir, firstPort);
  await waitForHealth(`http://127.0.0.1:${firstPort}`);
  await stop(first.child);

  const results = [];
  for (let run = 0; run < RUNS; run += 1) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    const { child, startedAt } = start(dataDir, port);
    const healthyAt = await waitForHealth(url);
    await page.goto(`${url}/login`);
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0);
    const paintedAt = await page.evaluate(() => performance.timeOrigin + performance.getEntriesByName('first-contentful-paint')[0].startTime);
    const fcpInPage = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0].startTime);
    results.push({
      run: run + 1,
      'npm start → /healthz (ms)': healthyAt - startedAt,
      'FCP in the page (ms)': Math.round(fcpInPage),
      'npm start → FCP of /login (ms)': Math.round(paintedAt - startedAt),
    });
    await context.close();
    await stop(child);
  }
  console.table(results);
  const total = results.map((result) => result['npm start → FCP of /login (ms)']).sort((a, b) => a - b);
  console.log(`median npm start → FCP of /login: ${total[Math.floor(total.length / 2)]} ms over ${RUNS} runs`);
} finally {
  await browser.close();
  await rm(dataDir, { recursive: true, force: true });
}

/**
 * `npm run bench`: the server against a bare Koa baseline, on this machine, in one run.
 *  1. authenticated GET /api/v1/agents (a page of 20) — throughput and p99, beside a bare Koa "hello";
 *  2. /healthz latency while 50 logins (bcrypt cost 12) run at once — bcrypt must not block the event loop;
 *  3. the server's RSS while a 100 MiB file is uploaded, then downloaded by a fast and by a slow reader (streaming and
 *     backpressure: nothing is held whole). BENCH_DOWNLOAD_MIB changes the size.
 * Servers run in child processes so autocannon does not share their event loop.
 */
import autocannon from 'autocannon';
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { json, percentile, SERVER_MAIN, startChild, stopChild } from './child-process.ts';
import { measureDownloadRss } from './download-rss.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const here = path.dirname(fileURLToPath(import.meta.url));

async function load(url: string, headers: Record<string, string> = {}) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-bench-'));
await chmod(dataDir, 0o755);
const server = await startChild(
  SERVER_MAIN,
  [],
  {
    METIS_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'info', // the default: one access-log line per request, as in production
    RATE_LIMIT_API_PER_USER: '0',
    RATE_LIMIT_LOGIN_PER_IP: '100000',
    RATE_LIMIT_LOGIN_PER_EMAIL: '100000',
  },
  /"url":"(http:[^"]+)"/,
);
const hello = await startChild(path.join(here, 'hello-koa.ts'), ['0'], {}, /"listening":(\d+)/);
const base = server.match[1]!;
try {
  const email = `bench-${Date.now()}@example.com`;
  const password = 'benchmark password';
  const { access_token: token } = await json(`${base}/api/v1/auth/register`, { method: 'POST', body: JSON.stringify({ email, password }) });
  const auth = { authorization: `Bearer ${token}` };
  for (let i = 0; i < 20; i++) {
    await json(`${base}/api/v1/agents`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: `agent ${i}`, config: { system_prompt: 'x'.repeat(200) } }),
    });
  }

  console.log(`load: ${CONNECTIONS} connections × ${DURATION_S} s each`);
  const helloResult = await load(`http://127.0.0.1:${hello.match[1]}/`);
  const agentsResult = await load(`${base}/api/v1/agents`, auth);

  // /healthz latency, sampled one after another while 50 logins (bcrypt cost 12) run at once.
  const idle: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await fetch(`${base}/healthz`).then((r) => r.arrayBuffer());
    idle.push(performance.now() - t);
  }
  const during: number[] = [];
  let loginsDone = false;
  const loginStarted = performance.now();
  const logins = Promise.all(
    Array.from({ length: 50 }, () => json(`${base}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ email, password }) })),
  ).finally(() => (loginsDone = true));
  while (!loginsDone) {
    const t = performance.now();
    await fetch(`${base}/healthz`).then((r) => r.arrayBuffer());
    during.push(performance.now() - t);
  }
  await logins;
  const loginWallMs = performance.now() - loginStarted;

  const f = (n: number) => n.toFixed(1);
  console.table([
    { scenario: 'bare Koa hello', 'req/s': Math.round(helloResult.rps), 'p50 ms': helloResult.p50, 'p99 ms': helloResult.p99 },
    { scenario: 'GET /api/v1/agents (auth, 20 items)', 'req/s': Math.round(agentsResult.rps), 'p50 ms': agentsResult.p50, 'p99 ms': agentsResult.p99 },
  ]);
  console.log(`ratio: /api/v1/agents serves ${((100 * agentsResult.rps) / helloResult.rps).toFixed(1)}% of bare Koa's throughput`);
  console.table([
    { scenario: '/healthz, idle', samples: idle.length, 'p50 ms': f(percentile(idle, 50)), 'p99 ms': f(percentile(idle, 99)) },
    { scenario: '/healthz during 50 concurrent logins', samples: during.length, 'p50 ms': f(percentile(during, 50)), 'p99 ms': f(percentile(during, 99)) },
  ]);
  console.log(`50 logins at bcrypt cost 12 took ${f(loginWallMs)} ms wall time (${f(loginWallMs / 50)} ms each on average)`);

  const { sandbox_driver: driver } = await json(`${base}/api/v1/server-info`);
  console.log(`server RSS while a file streams through it (sandbox driver: ${driver})`);
  console.table(await measureDownloadRss(base, token, server.child.pid!));
} finally {
  await Promise.all([stopChild(server.child), stopChild(hello.child)]);
  await rm(dataDir, { recursive: true, force: true });
}

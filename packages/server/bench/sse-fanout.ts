/**
 * SSE fan-out: 1,000 clients stream one conversation from a server in a child process; this process appends
 * events (the same `appendEvent` the agent loop uses, over its own database connection, so every event crosses
 * processes through NOTIFY) and measures the latency from the commit to each client's receipt.
 *
 *   node --conditions=@metisai/source packages/server/bench/sse-fanout.ts
 *
 * BENCH_SSE_CLIENTS (1000) and BENCH_SSE_EVENTS (50) change the load.
 */
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { createOrm } from '../src/db/orm.ts';
import { createLogger } from '../src/logger.ts';
import { appendEvent } from '../src/events/event-log.ts';
import { json, percentile, startServerChild, stopChild } from './child-process.ts';
import { readSseBlocks } from './sse-blocks.ts';

const CLIENTS = Number(process.env.BENCH_SSE_CLIENTS ?? 1000);
const EVENTS = Number(process.env.BENCH_SSE_EVENTS ?? 50);
const PACE_MS = 20;

/** One SSE client on a plain socket; records when each stored event (by seq) arrived. */
function connect(agent: http.Agent, url: string, token: string, onEvent: (seq: number, at: number) => void): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`SSE: ${response.statusCode}`));
      readSseBlocks(response, (block, at) => {
        if (block.startsWith('id: ')) onEvent(Number(block.slice(4, block.indexOf('\n'))), at);
      });
      resolve(request);
    });
    request.on('error', reject);
  });
}

const logger = createLogger('warn');
const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-bench-sse-'));
await chmod(dataDir, 0o755);
const progress = (message: string) => console.error(`[sse-fanout] ${message}`);
progress('starting PostgreSQL');
const database = await startEmbeddedPostgres(dataDir, logger);
const secretKey = 'bench-secret-key-0123456789abcdef0123456789';
let server: { child: ChildProcess; url: string } | undefined;
const orm = await createOrm({ databaseUrl: database.url, logger });
try {
  progress('starting the server');
  server = await startServerChild({
    DATABASE_URL: database.url,
    SECRET_KEY: secretKey,
    PORT: '0',
    LOG_LEVEL: 'info', // the default; its "listening" line gives the URL
    RATE_LIMIT_API_PER_USER: '0',
    // One user holds every stream of this benchmark.
    QUOTA_STREAMS_PER_USER: String(CLIENTS),
    BCRYPT_COST: '4',
  });
  const base = server.url;
  const { access_token: token } = await json(`${base}/api/v1/auth/register`, {
    method: 'POST',
    body: JSON.stringify({ email: `bench-${Date.now()}@example.com`, password: 'benchmark password' }),
  });
  const conversation = await json(`${base}/api/v1/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });

  progress(`connecting ${CLIENTS} clients`);
  const received = new Map<number, number[]>();
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const connectStarted = performance.now();
  const requests = await Promise.all(
    Array.from({ length: CLIENTS }, () =>
      connect(agent, `${base}/api/v1/conversations/${conversation.id}/events`, token, (seq, at) => {
        let times = received.get(seq);
        if (!times) received.set(seq, (times = []));
        times.push(at);
      }),
    ),
  );
  const connectMs = performance.now() - connectStarted;
  const em = orm.em.fork();
  // Every client has its headers: a warm-up event, not measured, shows when all of them are live.
  const warmUp = await appendEvent(em, conversation.id, { type: 'message', role: 'assistant', content: 'warm-up' });
  while ((received.get(warmUp.seq)?.length ?? 0) < CLIENTS) await new Promise((resolve) => setTimeout(resolve, 10));

  const run = async (label: string, paceMs: number, firstSeq: number) => {
    const committedAt = new Map<number, number>();
    for (let i = 0; i < EVENTS; i++) {
      const event = await appendEvent(em, conversation.id, { type: 'message', role: 'assistant', content: `event ${i} of ${label}` });
      committedAt.set(event.seq, performance.now());
      if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
    }
    const lastSeq = firstSeq + EVENTS - 1;
    const deadline = Date.now() + 30_000;
    while ((received.get(lastSeq)?.length ?? 0) < CLIENTS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const latencies: number[] = [];
    let deliveries = 0;
    for (let seq = firstSeq; seq <= lastSeq; seq++) {
      for (const at of received.get(seq) ?? []) {
        latencies.push(Math.max(0, at - committedAt.get(seq)!));
        deliveries++;
      }
    }
    return {
      scenario: label,
      deliveries: `${deliveries} / ${EVENTS * CLIENTS}`,
      'p50 ms': percentile(latencies, 50).toFixed(1),
      'p90 ms': percentile(latencies, 90).toFixed(1),
      'p99 ms': percentile(latencies, 99).toFixed(1),
      'max ms': Math.max(...latencies).toFixed(1),
    };
  };

  progress('appending');
  const paced = await run(`${EVENTS} events, one every ${PACE_MS} ms`, PACE_MS, warmUp.seq + 1);
  const burst = await run(`${EVENTS} events back to back`, 0, warmUp.seq + EVENTS + 1);
  console.log(
    `${CLIENTS} SSE clients on one conversation; connected in ${connectMs.toFixed(0)} ms; latency from commit (this process) to receipt (this process)`,
  );
  console.table([paced, burst]);
  for (const request of requests) request.destroy();
  agent.destroy();
} finally {
  if (server) await stopChild(server.child);
  await orm.close();
  await database.stop();
  await rm(dataDir, { recursive: true, force: true });
}

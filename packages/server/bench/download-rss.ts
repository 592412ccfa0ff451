/**
 * The server's memory while a large file streams through it: a 100 MiB file is uploaded into a conversation's
 * workspace, then downloaded by a fast reader (as fast as the loopback allows) and by a slow one (about 10 MB/s, so the
 * server must apply backpressure all the way down to the sandbox). The server's RSS (`VmRSS` of its process, Linux) is
 * sampled every 20 ms; a server that held the file whole would grow by at least its size.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { json } from './child-process.ts';

const MIB = 1024 * 1024;
const FILE_BYTES = Number(process.env.BENCH_DOWNLOAD_MIB ?? 100) * MIB;
const SLOW_BYTES_PER_SECOND = 10 * 1000 * 1000;

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** Samples the process's RSS while `work` runs; answers the RSS before and the highest seen during it. */
async function whileSampling<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; beforeBytes: number; peakBytes: number; ms: number }> {
  const beforeBytes = await rssOf(pid);
  let peakBytes = beforeBytes;
  const timer = setInterval(() => {
    rssOf(pid).then(
      (rss) => (peakBytes = Math.max(peakBytes, rss)),
      () => undefined,
    );
  }, 20);
  const started = performance.now();
  try {
    const result = await work();
    return { result, beforeBytes, peakBytes: Math.max(peakBytes, await rssOf(pid)), ms: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

function upload(url: string, token: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-length': String(bytes) } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    const chunk = Buffer.alloc(MIB, 7);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const part = chunk.subarray(0, Math.min(MIB, bytes - sent));
        sent += part.length;
        if (!request.write(part)) return void request.once('drain', pump);
      }
      request.end();
    };
    pump();
  });
}

/** Reads the whole response; a `bytesPerSecond` reader sleeps between chunks to stay under that rate. */
function download(url: string, token: string, bytesPerSecond?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { authorization: `Bearer ${token}` } }, async (response) => {
        if (response.statusCode !== 200) return reject(new Error(`download: ${response.statusCode}`));
        let received = 0;
        const started = performance.now();
        try {
          for await (const chunk of response) {
            received += (chunk as Buffer).length;
            if (bytesPerSecond) {
              const due = (received / bytesPerSecond) * 1000 - (performance.now() - started);
              if (due > 0) await sleep(due);
            }
          }
          resolve(received);
        } catch (error) {
          reject(error);
        }
      })
      .on('error', reject);
  });
}

export interface RssRow {
  scenario: string;
  'MiB moved': number;
  seconds: string;
  'MB/s': string;
  'RSS before MiB': string;
  'RSS peak MiB': string;
  'growth MiB': string;
}

/** Runs the three transfers against a running server (`pid` is its process) and answers one row each. */
export async function measureDownloadRss(base: string, token: string, pid: number): Promise<RssRow[]> {
  const auth = { authorization: `Bearer ${token}` };
  const { id } = await json(`${base}/api/v1/conversations`, { method: 'POST', headers: auth, body: '{}' });
  const content = `${base}/api/v1/conversations/${id}/files/content?path=big.bin`;
  const row = (scenario: string, bytes: number, sample: { beforeBytes: number; peakBytes: number; ms: number }): RssRow => ({
    scenario,
    'MiB moved': Math.round(bytes / MIB),
    seconds: (sample.ms / 1000).toFixed(1),
    'MB/s': (bytes / 1e6 / (sample.ms / 1000)).toFixed(1),
    'RSS before MiB': (sample.beforeBytes / MIB).toFixed(1),
    'RSS peak MiB': (sample.peakBytes / MIB).toFixed(1),
    'growth MiB': ((sample.peakBytes - sample.beforeBytes) / MIB).toFixed(1),
  });
  const up = await whileSampling(pid, () => upload(content, token, FILE_BYTES));
  if (up.result !== 201) throw new Error(`upload: ${up.result}`);
  const fast = await whileSampling(pid, () => download(content, token));
  const slow = await whileSampling(pid, () => download(content, token, SLOW_BYTES_PER_SECOND));
  for (const done of [fast, slow]) if (done.result !== FILE_BYTES) throw new Error(`download: ${done.result} of ${FILE_BYTES} bytes`);
  await fetch(`${base}/api/v1/conversations/${id}`, { method: 'DELETE', headers: auth });
  return [
    row('upload (streamed in)', FILE_BYTES, up),
    row('download, fast reader', FILE_BYTES, fast),
    row('download, slow reader (≈10 MB/s)', FILE_BYTES, slow),
  ];
}

// Alone: `node --conditions=@metisai/source packages/server/bench/download-rss.ts` (SANDBOX_DRIVER picks the driver).
if (import.meta.main) {
  const { chmod, mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { startServerChild, stopChild } = await import('./child-process.ts');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-bench-rss-'));
  await chmod(dataDir, 0o755);
  const server = await startServerChild({
    METIS_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'info',
    RATE_LIMIT_API_PER_USER: '0',
    BCRYPT_COST: '4',
    UPLOAD_LIMIT_BYTES: String(FILE_BYTES),
  });
  try {
    const { access_token: token } = await json(`${server.url}/api/v1/auth/register`, {
      method: 'POST',
      body: JSON.stringify({ email: `rss-${Date.now()}@example.com`, password: 'benchmark password' }),
    });
    const { sandbox_driver: driver } = await json(`${server.url}/api/v1/server-info`);
    console.log(`server RSS while a file streams through it (sandbox driver: ${driver})`);
    console.table(await measureDownloadRss(server.url, token, server.child.pid!));
  } finally {
    await stopChild(server.child);
    await rm(dataDir, { recursive: true, force: true });
  }
}

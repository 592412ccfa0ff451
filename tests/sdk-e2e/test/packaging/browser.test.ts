import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startScriptedLlm, turns, type ScriptedLlm } from '@metisai/scripted-llm';
import { startTestServer } from '../../../../packages/server/test/support/test-server.ts';
import { SDK_DIR } from './build-sdk.ts';

// The SDK's browser ESM build, bundled with its dependencies as an app's bundler would, in Debian's Chromium.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  if (process.env.CI) throw new Error(`Chromium is required in CI (looked for ${CHROMIUM}); .ci/run installs Debian's chromium`);
  console.warn(`[sdk-e2e] skipping the browser test: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}

let page: Server;
let origin: string;
let bundle: string;
let browser: Browser;
let llm: ScriptedLlm;
let server: Awaited<ReturnType<typeof startTestServer>>;
let dataDir: string;

const html = `<!doctype html><meta charset="utf-8"><title>metis sdk</title><script type="module">
import { MetisClient, Files } from '/sdk.js';
window.runDemo = async (baseUrl, email, password) => {
  const client = new MetisClient({ baseUrl });
  await client.auth.login({ email, password });
  const conversation = await client.conversations.create({ title: 'from the browser' });
  let text = '';
  const types = [];
  for await (const event of client.conversations.run(conversation.id, 'Say hello', { onDelta: (delta) => (text += delta.content) })) {
    types.push(event.type === 'state' ? 'state:' + event.state : event.type);
  }
  return { text, types, profile: (await client.auth.profile()).email };
};
window.runFiles = async (baseUrl, email, password) => {
  const client = new MetisClient({ baseUrl });
  const files = new Files(client);
  await client.auth.login({ email, password });
  const conversation = await client.conversations.create({ title: 'files from the browser' });
  const file = new File([new Uint8Array(3 * 1024 * 1024).fill(120)], 'big.txt');
  const progress = [];
  const entry = await files.upload(conversation.id, 'uploads/' + file.name, file, { onProgress: (p) => progress.push(p) });
  const download = await files.download(conversation.id, entry.path);
  const bytes = await download.bytes();
  const link = await files.downloadUrl(conversation.id, { path: entry.path });
  const viaLink = await fetch(link.url);
  let refused = '';
  await files.upload(conversation.id, '/etc/x', 'x', { onProgress: () => {} }).catch((error) => (refused = error.name + ':' + error.code));
  return { size: entry.size, progress, downloaded: bytes.length, fileName: download.fileName, linkStatus: viaLink.status, linkLength: (await viaLink.arrayBuffer()).byteLength, refused };
};
</script>`;

beforeAll(async () => {
  if (!hasChromium) return;
  // Both entry points, as an app that moves files would bundle them.
  const result = await build({
    stdin: { contents: "export * from './index.js';\nexport * from './files.js';\n", resolveDir: path.join(SDK_DIR, 'dist'), loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  bundle = result.outputFiles[0]!.text;
  page = createServer((request, response) => {
    if (request.url === '/sdk.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else response.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  llm = await startScriptedLlm({ script: [turns.text('Hello from the scripted model, streamed in pieces.')], chunkDelayMs: 5 });
  dataDir = await mkdtemp(path.join(tmpdir(), 'metis-browser-'));
  await chmod(dataDir, 0o755);
  server = await startTestServer({ env: { CORS_ORIGINS: origin, SANDBOX_DRIVER: 'local', METIS_DATA_DIR: dataDir } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await llm?.close();
  page?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('in Chromium', () => {
  test('the bundle has no Node-only imports, logs in and streams a run', async () => {
    expect(bundle).not.toMatch(/from\s*["']node:|require\(["'](fs|path|http|net|crypto)["']\)/);
    const email = `browser-${Date.now()}@example.com`;
    const password = 'browser password';
    // The account and its LLM settings, made from Node; the browser only logs in.
    const register = await fetch(`${server.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const { access_token: token } = (await register.json()) as { access_token: string };
    await fetch(`${server.url}/api/v1/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ llm_model: 'scripted', llm_base_url: llm.url, llm_api_key: 'none' }),
    });
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(origin);
    await tab.waitForFunction(() => typeof (window as unknown as { runDemo?: unknown }).runDemo === 'function');
    const result = await tab.evaluate(
      ([baseUrl, user, secret]) =>
        (window as unknown as { runDemo: (a: string, b: string, c: string) => Promise<{ text: string; types: string[]; profile: string }> }).runDemo(
          baseUrl!,
          user!,
          secret!,
        ),
      [server.url, email, password],
    );
    expect(errors).toEqual([]);
    expect(result.profile).toBe(email);
    expect(result.text).toBe('Hello from the scripted model, streamed in pieces.');
    expect(result.types.filter((type) => type === 'delta').length).toBeGreaterThan(1);
    expect(result.types.at(-1)).toBe('state:idle');
    expect(result.types).toContain('message');
  });

  test('files: an upload reports progress through XHR, downloads and signed links work across origins', async () => {
    const email = `browser-files-${Date.now()}@example.com`;
    const password = 'browser password';
    await fetch(`${server.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(origin);
    await tab.waitForFunction(() => typeof (window as unknown as { runFiles?: unknown }).runFiles === 'function');
    type FilesResult = {
      size: number;
      progress: { transferredBytes: number; totalBytes: number }[];
      downloaded: number;
      fileName: string;
      linkStatus: number;
      linkLength: number;
      refused: string;
    };
    const result = await tab.evaluate(
      ([baseUrl, user, secret]) =>
        (window as unknown as { runFiles: (a: string, b: string, c: string) => Promise<FilesResult> }).runFiles(baseUrl!, user!, secret!),
      [server.url, email, password],
    );
    expect(errors).toEqual([]);
    const size = 3 * 1024 * 1024;
    expect(result).toMatchObject({ size, downloaded: size, fileName: 'big.txt', linkStatus: 200, linkLength: size, refused: 'BadRequestError:invalid_path' });
    expect(result.progress.length).toBeGreaterThan(0);
    expect(result.progress.at(-1)).toEqual({ transferredBytes: size, totalBytes: size });
  });
});

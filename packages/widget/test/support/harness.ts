import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startScriptedLlm, type ScriptedLlm, type ScriptFunction } from '@metisai/scripted-llm';
import { MetisClient, type Event } from '@metisai/sdk';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer } from '../../../server/test/support/test-server.ts';

export const WIDGET_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const OUTPUT_DIR = path.join(WIDGET_DIR, 'test/output');
export const WIDGET_VERSION: string = JSON.parse(await readFile(path.join(WIDGET_DIR, 'package.json'), 'utf8')).version;

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  if (process.env.CI) throw new Error(`Chromium is required in CI (looked for ${CHROMIUM}); .ci/run installs Debian's chromium`);
  console.warn(`[widget] skipping the browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium fonts-wqy-zenhei)`);
}

/** Polls `check` until it answers something truthy. */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`eventually: timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How the host page embeds the widget. */
export interface HostPageOptions {
  /** Attributes of `<metis-chat>` (values are HTML-escaped). */
  attributes: Record<string, string | undefined>;
  /** A second widget on the same page. */
  second?: Record<string, string | undefined>;
  /** Extra CSS of the host page (served as /host.css, a same-origin stylesheet). */
  css?: string;
  /** Leave the widget's script out (to compare the page before it is mounted). */
  withoutWidget?: boolean;
  /** Load the ES module instead of the IIFE. */
  module?: boolean;
  /** Load the IIFE twice. */
  twice?: boolean;
  /** More origins the page may connect to (`connect-src`), e.g. a proxy in front of the MetisAI server. */
  connectTo?: string[];
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const attributes = (values: Record<string, string | undefined>) =>
  Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => (value === '' ? name : `${name}="${escapeHtml(value!)}"`))
    .join(' ');

/** The host page's CSP: scripts from the page and the MetisAI origin only, no inline styles, no eval. */
export const strictCsp = (metisOrigin: string, connectTo: string[] = []) =>
  [
    "default-src 'none'",
    `script-src 'self' ${metisOrigin}`,
    "style-src 'self'",
    `connect-src ${[metisOrigin, ...connectTo].join(' ')}`,
    "img-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

/** The page a second origin serves: a strict CSP, its own stylesheet, and the widget from the MetisAI server. */
export class HostServer {
  readonly server: Server;
  origin = '';
  metisOrigin = '';
  #pages = new Map<string, HostPageOptions>();
  #axe: string | undefined;

  constructor() {
    this.server = createServer((request, response) => void this.#handle(request, response));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Serves `options` at `/<name>`; answers the URL. */
  page(name: string, options: HostPageOptions): string {
    this.#pages.set(name, options);
    return `${this.origin}/${name}`;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.origin);
    if (url.pathname === '/probe.js') {
      // Same-origin script: records CSP violations and the widget's DOM events for the test.
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(`
        window.__violations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
        window.__events = [];
        for (const type of ['metis-ready', 'metis-error', 'metis-message', 'metis-run-start', 'metis-run-end', 'metis-conversation-change'])
          document.addEventListener(type, (e) => window.__events.push({ type, id: e.target.id, code: e.code, state: e.state, role: e.role, conversationId: e.conversationId }));
      `);
      return;
    }
    if (url.pathname === '/pixel.png') {
      // 1×1 transparent PNG: the image of an allowed host.
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
      response.writeHead(200, { 'content-type': 'image/png' }).end(png);
      return;
    }
    if (url.pathname === '/axe.js') {
      this.#axe ??= await readFile(fileURLToPath(import.meta.resolve('axe-core/axe.min.js')), 'utf8');
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(this.#axe);
      return;
    }
    const name = url.pathname.slice(1);
    const options = this.#pages.get(name.replace(/\.css$/, ''));
    if (!options) {
      response.writeHead(404).end();
      return;
    }
    if (name.endsWith('.css')) {
      response.writeHead(200, { 'content-type': 'text/css' }).end(options.css ?? '');
      return;
    }
    const script = options.module
      ? `<script type="module" src="${this.metisOrigin}/widget/${WIDGET_VERSION}/metis-chat.js"></script>`
      : `<script src="${this.metisOrigin}/widget/${WIDGET_VERSION}/metis-chat.iife.js" defer></script>`;
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Host page</title>
<link rel="stylesheet" href="/${name}.css">
<script src="/probe.js"></script>
${options.withoutWidget ? '' : script}
${options.twice && !options.withoutWidget ? script : ''}
</head>
<body>
<main>
<h1>A host page</h1>
<p class="host-text">Some text of the host page, styled by its own stylesheet.</p>
<button class="host-button" type="button">A host button</button>
<metis-chat id="chat" ${attributes(options.attributes)}></metis-chat>
${options.second ? `<metis-chat id="second" ${attributes(options.second)}></metis-chat>` : ''}
</main>
</body>
</html>`;
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': strictCsp(this.metisOrigin, options.connectTo) })
      .end(html);
  }
}

export type RunningTestServer = Awaited<ReturnType<typeof startTestServer>>;

/** The LLM's script as a function of the last user message: the tests pick a scenario by what they type. */
export type Scenarios = Record<string, ScriptFunction>;

/** The last user message of a chat request. */
export const lastUserText = (request: Parameters<ScriptFunction>[0]): string => {
  const user = request.messages.findLast((message) => message.role === 'user');
  return typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
};

/** The working directory the server told the model (its system prompt). */
export const workdirOf = (request: Parameters<ScriptFunction>[0]): string => {
  const system = request.messages.find((message) => message.role === 'system');
  return /working directory is (\S+)\./.exec(typeof system?.content === 'string' ? system.content : '')?.[1] ?? '/tmp';
};

/** Tool results sent back so far in this run (after the last user message). */
export const toolResultsOf = (request: Parameters<ScriptFunction>[0]) => {
  const lastUser = request.messages.findLastIndex((message) => message.role === 'user');
  return request.messages.slice(lastUser + 1).filter((message) => message.role === 'tool');
};

/** A server (local sandboxes, fresh database), the scripted LLM, a host page on another origin, and Chromium. */
export async function startStack(options: { script: ScriptFunction; env?: Record<string, string> }) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-widget-'));
  await chmod(dataDir, 0o755);
  const host = new HostServer();
  await host.listen();
  const llm: ScriptedLlm = await startScriptedLlm({ script: options.script, chunkDelayMs: 0 });
  const server = await startTestServer({
    env: {
      SANDBOX_DRIVER: 'local',
      METIS_DATA_DIR: dataDir,
      CORS_ORIGINS: host.origin,
      RATE_LIMIT_REGISTER_PER_IP: '10000',
      RATE_LIMIT_LOGIN_PER_IP: '10000',
      SSE_HEARTBEAT_SECONDS: '1',
      // One test user opens many conversations, each keeping its sandbox for the idle timeout: more than a user's default.
      QUOTA_SANDBOXES_PER_USER: '1000',
      ...options.env,
    },
  });
  host.metisOrigin = server.url;
  await mkdir(OUTPUT_DIR, { recursive: true });
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      '--font-render-hinting=none',
    ],
  });

  const client = new MetisClient({ baseUrl: server.url });
  const { access_token: token } = await client.auth.register({ email: `widget-${process.pid}-${Date.now()}@example.com`, password: 'a widget password' });
  await client.settings.update({ llm_model: 'scripted', llm_base_url: llm.url, llm_api_key: 'sk-test' });

  /** A running agent of the test user. */
  const agent = async (name: string, config: Record<string, unknown> = {}) => {
    const created = await client.agents.create({ name, config: { warm_pool_size: 0, ...config } });
    await client.agents.start(created.id);
    await eventually(async () => (await client.agents.get(created.id)).status === 'running', 20_000, 'the agent to run');
    return created.id;
  };

  return {
    server,
    llm,
    host,
    browser,
    client,
    token,
    agent,
    /** A fresh browser context (its own localStorage) and page. */
    async newPage(contextOptions: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, ...contextOptions });
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error('[page error]', error.message));
      return { context, page };
    },
    /** The stored events of a conversation, all pages. */
    async events(conversationId: string): Promise<Event[]> {
      const events: Event[] = [];
      for await (const event of client.conversations.events.list(conversationId, { limit: 1000 })) events.push(event);
      return events;
    },
    async close() {
      await browser.close().catch(() => {});
      await server.close();
      await llm.close();
      host.close();
      await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    },
  };
}
export type Stack = Awaited<ReturnType<typeof startStack>>;

/** What the widget shows, item by item (`data-seq` order), read from its shadow DOM. */
export interface ShownItem {
  seq: number | null;
  part: string;
  text: string;
}

export const shownItems = (page: Page, id = 'chat'): Promise<ShownItem[]> =>
  page.evaluate((elementId) => {
    const root = document.getElementById(elementId)?.shadowRoot;
    const log = root?.querySelector('[part~="log"]');
    if (!log) return [];
    return [...log.querySelectorAll(':scope > [data-seq]')].map((element) => {
      // The text a reader sees: without the screen-reader-only speaker labels.
      const copy = element.cloneNode(true) as HTMLElement;
      for (const label of copy.querySelectorAll('.sr-only')) label.remove();
      return {
        seq: element.getAttribute('data-seq') ? Number(element.getAttribute('data-seq')) : null,
        part: element.getAttribute('part') ?? '',
        text: (copy.textContent ?? '').replace(/\s+/g, ' ').trim(),
      };
    });
  }, id);

/**
 * The seqs the widget should show for a conversation's stored events: user messages, assistant messages with text or
 * reasoning, one item per tool call (at its action), run errors, unknown types. State events show as no item.
 */
export function expectedSeqs(events: readonly Event[]): number[] {
  const seqs: number[] = [];
  for (const event of events) {
    if (event.type === 'state' || event.type === 'observation') continue;
    // Uploads are shown by the message that names their files.
    if (event.type === 'workspace' && event.phase === 'uploaded') continue;
    if (event.type === 'message' && event.role === 'assistant' && event.content === '' && !event.reasoning_content) continue;
    seqs.push(event.seq);
  }
  return seqs;
}

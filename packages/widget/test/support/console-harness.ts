import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startScriptedLlm, type ScriptedLlm, type ScriptFunction } from '@metisai/scripted-llm';
import { MetisClient } from '@metisai/sdk';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startTestServer } from '../../../server/test/support/test-server.ts';
import { CHROMIUM, eventually, OUTPUT_DIR } from './harness.ts';

export { eventually, hasChromium, lastUserText, toolResultsOf, workdirOf } from './harness.ts';

export const CONSOLE_OUTPUT_DIR = path.join(OUTPUT_DIR, 'console');

/** An element inside the console's shadow roots (Playwright's CSS pierces them). */
export const inPage = (page: Page, selector: string): Locator => page.locator(`metis-console ${selector}`);

/** A password the server takes (10+ characters, not a common one). */
export const PASSWORD = 'a console test password';

let counter = 0;
/** A unique email for this run. */
export const uniqueEmail = (label: string) => `${label}-${process.pid}-${Date.now()}-${counter++}@example.com`;

/**
 * A server (local sandboxes, fresh database, loopback LLM allowed) serving the console, the scripted LLM, and
 * Chromium: one of each per test file, several pages per file.
 */
export async function startConsoleStack(options: { script: ScriptFunction; env?: Record<string, string> }) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-console-'));
  await chmod(dataDir, 0o755);
  const llm: ScriptedLlm = await startScriptedLlm({ script: options.script, chunkDelayMs: 0 });
  const server = await startTestServer({
    env: {
      SANDBOX_DRIVER: 'local',
      METIS_DATA_DIR: dataDir,
      // The scripted LLM listens on 127.0.0.1: the switch that lets users point at a loopback LLM.
      ALLOW_PRIVATE_EGRESS: 'true',
      RATE_LIMIT_REGISTER_PER_IP: '10000',
      RATE_LIMIT_LOGIN_PER_IP: '10000',
      RATE_LIMIT_LOGIN_PER_EMAIL: '10000',
      SSE_HEARTBEAT_SECONDS: '1',
      ...options.env,
    },
  });
  await mkdir(CONSOLE_OUTPUT_DIR, { recursive: true });
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
  const axeSource = await readFile(fileURLToPath(import.meta.resolve('axe-core/axe.min.js')), 'utf8');

  /** A user made through the API (for tests that do not start at registration), with the scripted LLM set. */
  const apiUser = async (label: string) => {
    const client = new MetisClient({ baseUrl: server.url });
    const email = uniqueEmail(label);
    const { access_token: token } = await client.auth.register({ email, password: PASSWORD });
    await client.settings.update({ llm_model: 'scripted', llm_base_url: llm.url, llm_api_key: 'sk-test' });
    return { client, token, email };
  };

  /** A running agent of the client's user. */
  const runningAgent = async (client: MetisClient, name: string, config: Record<string, unknown> = {}) => {
    const created = await client.agents.create({ name, config: { warm_pool_size: 0, ...config } });
    await client.agents.start(created.id);
    await eventually(async () => (await client.agents.get(created.id)).status === 'running', 30_000, 'the agent to run');
    return created.id;
  };

  return {
    server,
    llm,
    browser,
    apiUser,
    runningAgent,
    /**
     * A fresh context (its own storage) and page, recording CSP violations and page errors. `token` signs it in (the
     * token is put in the tab's sessionStorage before the console loads).
     */
    async newPage(
      options: { token?: string; locale?: string; colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
    ): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
      const context = await browser.newContext({
        viewport: options.viewport ?? { width: 1280, height: 800 },
        locale: options.locale ?? 'en-US',
        colorScheme: options.colorScheme ?? 'light',
        acceptDownloads: true,
      });
      await context.addInitScript(() => {
        const w = window as unknown as { __violations: string[] };
        w.__violations = [];
        document.addEventListener('securitypolicyviolation', (event) => w.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`));
      });
      if (options.token) {
        await context.addInitScript((token) => {
          if (!sessionStorage.getItem('metis-console:token')) sessionStorage.setItem('metis-console:token', token);
        }, options.token);
      }
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      return { context, page, errors };
    },
    /** axe-core's violations on the page as it is now (open shadow roots included). */
    async axe(page: Page): Promise<{ id: string; impact: string | null; nodes: string[] }[]> {
      await page.evaluate(axeSource);
      return page.evaluate(async () => {
        const result = await (
          window as unknown as {
            axe: {
              run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }>;
            };
          }
        ).axe.run(document, {
          resultTypes: ['violations'],
        });
        return result.violations.map((violation) => ({
          id: violation.id,
          impact: violation.impact,
          nodes: violation.nodes.map((node) => JSON.stringify(node.target)),
        }));
      });
    },
    async close() {
      await browser.close().catch(() => {});
      await server.close();
      await llm.close();
      await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    },
  };
}
export type ConsoleStack = Awaited<ReturnType<typeof startConsoleStack>>;

/** CSP violations the page reported so far. */
export const violations = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);

/** The text of the page's `h1` and whether it has focus (inside the console's shadow roots). */
export const headingState = (page: Page) =>
  page.evaluate(() => {
    const shell = document.querySelector('metis-console')?.shadowRoot;
    const pageElement = shell?.querySelector('main > *');
    const heading = pageElement?.shadowRoot?.querySelector('h1');
    let active: Element | null | undefined = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    return { text: heading?.textContent?.trim() ?? '', isFocused: heading !== undefined && active === heading, title: document.title };
  });

/**
 * The text of the console's `<main>`, shadow roots included (`innerText` stops at them: a page's own "Loading…" is
 * inside its shadow root).
 */
export const mainText = (page: Page) =>
  page.evaluate(() => {
    const parts: string[] = [];
    const visit = (root: Node) => {
      for (const node of root.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent ?? '');
        else if (node instanceof Element) {
          if (node.shadowRoot) visit(node.shadowRoot);
          visit(node);
        }
      }
    };
    const main = document.querySelector('metis-console')?.shadowRoot?.querySelector('main');
    if (main) visit(main);
    return parts.join(' ');
  });

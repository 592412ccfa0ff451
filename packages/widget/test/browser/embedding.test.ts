import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { turns } from '@metisai/scripted-llm';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { eventually, hasChromium, lastUserText, OUTPUT_DIR, startStack, toolResultsOf, WIDGET_DIR, WIDGET_VERSION, type Stack } from '../support/harness.ts';

// How the widget lives in someone else's page: served by the server with cross-origin headers, under a strict CSP,
// themable without leaking styles, accessible, usable at 320 px, and talking to the MetisAI origin only.

let stack: Stack;
let agentId: string;

/** An answer with most of what markdown can hold: the page must render it without a CSP report. */
const RICH_ANSWER = [
  'Here is **bold**, *italic*, `code`, a [link](https://example.com/docs) and a [bad link](javascript:alert(1)).',
  '',
  '```js',
  'console.log("hi");',
  '```',
  '',
  '- one',
  '- two',
  '',
  '| a | b |',
  '|---|--:|',
  '| 1 | 2 |',
  '',
  '<img src=x onerror="window.__pwned = 1"> <script>window.__pwned = 2</script>',
  '',
  '![blocked](https://tracker.example.net/pixel.gif) ![allowed](HOST/pixel.png)',
].join('\n');

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startStack({
    script: (request) => {
      const text = lastUserText(request);
      if (text.startsWith('tool') || text.includes('命令')) {
        if (toolResultsOf(request).length === 0) return turns.toolCall('execute_bash', { command: 'echo tool output' });
        return turns.text('The command ran.');
      }
      if (text.startsWith('rich')) return turns.text(RICH_ANSWER.replace('HOST', stack.host.origin));
      return turns.text(text.startsWith('你好') ? '你好！我是智能体，很高兴为你服务。' : 'Hello! I am the agent. **How can I help?**');
    },
  });
  agentId = await stack.agent('helper');
}, 120_000);
afterEach(async () => {
  for (const context of stack?.browser.contexts() ?? []) await context.close();
});
afterAll(async () => {
  await stack?.close();
});

const widgetEvents = (page: Page) => page.evaluate(() => (window as unknown as { __events: Array<{ type: string; id: string }> }).__events);
const ready = (page: Page) => eventually(async () => (await widgetEvents(page)).some((event) => event.type === 'metis-ready'), 15_000, 'ready');
const runEnds = (page: Page, count: number) =>
  eventually(async () => (await widgetEvents(page)).filter((event) => event.type === 'metis-run-end').length >= count, 30_000, `${count} run ends`);
const violations = (page: Page) => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);

async function send(page: Page, text: string) {
  const input = page.locator('metis-chat#chat textarea');
  await input.fill(text);
  await input.press('Enter');
}

const attributes = (extra: Record<string, string> = {}) => ({ server: stack.server.url, agent: agentId, token: stack.token, ...extra });

describe.skipIf(!hasChromium)('serving the widget', () => {
  test('/widget/<version>/ serves the ES module and the IIFE to any origin, cached for good', async () => {
    for (const file of ['metis-chat.js', 'metis-chat.iife.js']) {
      const response = await fetch(`${stack.server.url}/widget/${WIDGET_VERSION}/${file}`, { headers: { origin: 'https://elsewhere.example' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await response.text()).toBe(await readFile(path.join(WIDGET_DIR, 'dist', file), 'utf8'));
      const etag = response.headers.get('etag');
      // (fetch adds `Cache-Control: no-cache` to a conditional request unless one is given: a browser revalidating sends none.)
      const again = await fetch(`${stack.server.url}/widget/${WIDGET_VERSION}/${file}`, { headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' } });
      expect(again.status).toBe(304);
    }
    // Everything else keeps helmet's same-origin policy; other versions and files are 404s.
    expect((await fetch(`${stack.server.url}/healthz`)).headers.get('cross-origin-resource-policy')).toBe('same-origin');
    const other = await fetch(`${stack.server.url}/widget/0.0.1/metis-chat.js`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { message: string } }).error.message).toContain(`/widget/${WIDGET_VERSION}/`);
    expect((await fetch(`${stack.server.url}/widget/${WIDGET_VERSION}/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${stack.server.url}/widget/${WIDGET_VERSION}/index.ts`)).status).toBe(404);
  });

  test('the IIFE loaded twice is harmless, and the ES module works too', async () => {
    const { page } = await stack.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(stack.host.page('twice', { attributes: attributes({ mode: 'inline' }), twice: true }));
    await ready(page);
    await page.goto(stack.host.page('module', { attributes: attributes({ mode: 'inline' }), module: true }));
    await ready(page);
    expect(errors).toEqual([]);
  });
});

describe.skipIf(!hasChromium)('in a host page', () => {
  test('a whole conversation under the strict CSP: no violation, no script from the model, requests to the MetisAI origin only', async () => {
    const { page } = await stack.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(stack.host.page('csp', { attributes: attributes({ mode: 'inline', 'image-hosts': new URL(stack.host.origin).host }) }));
    await ready(page);
    await send(page, 'rich answer');
    await runEnds(page, 1);
    await send(page, 'tool please');
    await runEnds(page, 2);
    const answer = page.locator('metis-chat [part~="message-assistant"]').first();
    expect(await answer.locator('a[href="https://example.com/docs"]').getAttribute('rel')).toBe('noopener noreferrer');
    expect(await answer.locator('a').count()).toBe(1); // the javascript: link is text
    expect(await answer.locator('img').count()).toBe(1); // only the allowed host's
    expect(await answer.innerText()).toContain('<img src=x onerror="window.__pwned = 1">');
    expect(await answer.locator('[part~="copy-button"]').count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('metis-chat [part~="tool-step"]').count()).toBe(1);
    expect(await violations(page)).toEqual([]);
    const hostOrigin = stack.host.origin;
    const outside = requests.filter((url) => !url.startsWith(`${stack.server.url}/`) && !url.startsWith(`${hostOrigin}/`));
    expect(outside).toEqual([]);
    // What the host page loads itself: the page, its stylesheet and probe, and the allowed image.
    expect(requests.filter((url) => url.startsWith(`${hostOrigin}/`)).map((url) => new URL(url).pathname)).toEqual([
      '/csp',
      '/csp.css',
      '/probe.js',
      '/pixel.png',
    ]);
    expect(requests.some((url) => url.includes('tracker.example.net'))).toBe(false);
  });

  test('::part() and --metis-* variables restyle it; mounting changes nothing in the host page', async () => {
    const css = `
      body { font-family: serif; color: rgb(10, 20, 30); }
      .host-text { font-size: 19px; }
      metis-chat { --metis-accent: rgb(200, 0, 100); --metis-radius: 3px; }
      metis-chat::part(send-button) { background: rgb(1, 2, 3); }
      metis-chat::part(panel) { border-width: 5px; }
    `;
    const { page } = await stack.newPage();
    const snapshot = () =>
      page.evaluate(() => {
        const pick = (element: Element | null) => {
          const style = getComputedStyle(element!);
          return [style.fontFamily, style.fontSize, style.color, style.lineHeight, style.margin, style.background, style.boxSizing].join('|');
        };
        return {
          sheets: [...document.styleSheets].map((sheet) => [...sheet.cssRules].map((rule) => rule.cssText).join('\n')),
          adopted: document.adoptedStyleSheets.length,
          styles: ['html', 'body', 'h1', '.host-text', '.host-button', 'main'].map((selector) => pick(document.querySelector(selector))),
          styleElements: document.querySelectorAll('style').length,
        };
      });
    await page.goto(stack.host.page('theme-bare', { attributes: attributes({ mode: 'inline' }), css, withoutWidget: true }));
    const before = await snapshot();
    await page.goto(stack.host.page('theme', { attributes: attributes({ mode: 'inline' }), css }));
    await ready(page);
    await send(page, 'hello');
    await runEnds(page, 1);
    expect(await snapshot()).toEqual(before);
    const computed = await page.evaluate(() => {
      const root = document.querySelector('metis-chat')!.shadowRoot!;
      const style = (selector: string) => getComputedStyle(root.querySelector(selector)!);
      return {
        sendBackground: style('[part~="send-button"]').backgroundColor,
        userBackground: style('[part~="message-user"]').backgroundColor,
        userRadius: style('[part~="message-user"]').borderTopLeftRadius,
        panelBorder: style('[part~="panel"]').borderTopWidth,
        inputFont: style('textarea').fontSize,
        textFont: style('[part~="message-user"]').fontFamily,
        styleElements: root.querySelectorAll('style').length,
      };
    });
    expect(computed).toMatchObject({
      sendBackground: 'rgb(1, 2, 3)',
      userBackground: 'rgb(200, 0, 100)',
      userRadius: '3px',
      panelBorder: '5px',
      inputFont: '16px',
      styleElements: 0,
    });
    expect(computed.textFont).not.toContain('serif,'); // the host's font does not reach in
  });

  test('hostile host CSS does not break it', async () => {
    const css = `
      html { font-size: 4px; }
      body { font-size: 40px; line-height: 0; color: red; letter-spacing: 12px; text-transform: uppercase; white-space: nowrap; visibility: hidden; }
      * { box-sizing: content-box !important; margin: 30px !important; padding: 0 !important; }
      button, textarea, div, p, section { display: none !important; }
      metis-chat { visibility: visible; }
    `;
    const { page } = await stack.newPage();
    await page.goto(stack.host.page('hostile', { attributes: attributes({ mode: 'inline' }), css }));
    await ready(page);
    await send(page, 'hello');
    await runEnds(page, 1);
    const look = await page.evaluate(() => {
      const root = document.querySelector('metis-chat')!.shadowRoot!;
      const textarea = root.querySelector('textarea')!;
      const message = root.querySelector('[part~="message-assistant"]')!;
      const style = getComputedStyle(message);
      return {
        inputFont: getComputedStyle(textarea).fontSize,
        inputVisible: textarea.getBoundingClientRect().height > 30,
        messageFont: style.fontSize,
        letterSpacing: style.letterSpacing,
        transform: style.textTransform,
        lineHeight: Number.parseFloat(style.lineHeight),
        color: style.color,
      };
    });
    expect(look).toMatchObject({ inputFont: '16px', inputVisible: true, messageFont: '15px', letterSpacing: 'normal', transform: 'none' });
    expect(look.lineHeight).toBeGreaterThan(15);
    expect(look.color).not.toBe('rgb(255, 0, 0)');
  });

  test.each([
    ['light', 'inline'],
    ['dark', 'inline'],
    ['light', 'launcher'],
    ['dark', 'launcher'],
  ])('axe-core finds no violation (%s, %s)', async (theme, mode) => {
    const { page } = await stack.newPage();
    await page.goto(stack.host.page(`axe-${theme}-${mode}`, { attributes: attributes({ mode, theme, ...(mode === 'launcher' ? { open: '' } : {}) }) }));
    await ready(page);
    await send(page, 'tool please');
    await runEnds(page, 1);
    await page.addScriptTag({ url: '/axe.js' });
    const result = await page.evaluate(async () => {
      const axe = (
        window as unknown as { axe: { run: (context: Document) => Promise<{ violations: Array<{ id: string; nodes: Array<{ target: unknown }> }> }> } }
      ).axe;
      const { violations } = await axe.run(document);
      return violations.map((violation) => `${violation.id}: ${JSON.stringify(violation.nodes.map((node) => node.target))}`);
    });
    expect(result).toEqual([]);
    expect(await violations(page)).toEqual([]);
  });

  test('at 320×640: the launcher’s panel takes the screen, nothing scrolls sideways, the composer’s font is ≥ 16 px', async () => {
    const { page } = await stack.newPage({ viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true });
    await page.goto(
      stack.host.page('small', {
        attributes: attributes({
          greeting: 'Hi! Ask me anything.',
          suggestions: '["What can you do?","A very long suggestion that must wrap on a narrow screen"]',
        }),
      }),
    );
    await ready(page);
    await page.locator('metis-chat [part~="launcher"]').click();
    await send(page, 'rich answer');
    await runEnds(page, 1);
    const layout = await page.evaluate(() => {
      const root = document.querySelector('metis-chat')!.shadowRoot!;
      const panel = root.querySelector('[part~="panel"]')!.getBoundingClientRect();
      return {
        scrollWidth: document.scrollingElement!.scrollWidth,
        panel: [panel.left, panel.top, panel.width, panel.height],
        inputFont: Number.parseFloat(getComputedStyle(root.querySelector('textarea')!).fontSize),
        logOverflow: (() => {
          const log = root.querySelector('[part~="log"]')!;
          return log.scrollWidth - log.clientWidth;
        })(),
      };
    });
    expect(layout.scrollWidth).toBeLessThanOrEqual(320);
    expect(layout.panel).toEqual([0, 0, 320, 640]);
    expect(layout.inputFont).toBeGreaterThanOrEqual(16);
    expect(layout.logOverflow).toBe(0);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'launcher-320px.png') });
  });

  test.each([
    ['inline', 'light', 'en'],
    ['inline', 'dark', 'en'],
    ['inline', 'light', 'zh'],
    ['inline', 'dark', 'zh'],
    ['launcher', 'light', 'en'],
    ['launcher', 'dark', 'en'],
    ['launcher', 'light', 'zh'],
    ['launcher', 'dark', 'zh'],
  ])('screenshot: %s, %s, %s', async (mode, theme, locale) => {
    const { page } = await stack.newPage({ viewport: { width: 900, height: 760 } });
    await page.goto(
      stack.host.page(`shot-${mode}-${theme}-${locale}`, { attributes: attributes({ mode, theme, locale, ...(mode === 'launcher' ? { open: '' } : {}) }) }),
    );
    await ready(page);
    await send(page, locale === 'zh' ? '你好，请运行一个命令' : 'tool please');
    await runEnds(page, 1);
    await send(page, locale === 'zh' ? '你好' : 'hello');
    await runEnds(page, 2);
    await page.locator('metis-chat [part~="tool-step"] summary').first().click();
    await page.screenshot({ path: path.join(OUTPUT_DIR, `${mode}-${theme}-${locale}.png`) });
  });
});

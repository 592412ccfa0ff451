import path from 'node:path';
import { turns } from '@metisai/scripted-llm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  inPage,
  CONSOLE_OUTPUT_DIR,
  hasChromium,
  headingState,
  lastUserText,
  mainText,
  startConsoleStack,
  toolResultsOf,
  type ConsoleStack,
} from '../support/console-harness.ts';

// Defects newcomers found in the console, each checked where it shows: boxes that must not overlap, rows a header may
// take, text shown once, help text shown (not only in a tooltip), bold Chinese that is drawn bold. Screenshots:
// packages/widget/test/output/console/polish-*.png.

let stack: ConsoleStack;

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startConsoleStack({
    script: (request) => {
      const text = lastUserText(request);
      const results = toolResultsOf(request);
      if (text.startsWith('two steps')) {
        if (results.length < 2) return turns.toolCall('execute_bash', { command: `echo step-${results.length + 1}` });
        return turns.text('Both steps ran.');
      }
      return turns.text(`echo: ${text}`);
    },
  });
}, 120_000);
afterEach(async () => {
  for (const context of stack?.browser.contexts() ?? []) await context.close();
});
afterAll(async () => {
  await stack?.close();
});

const shot = (name: string) => path.join(CONSOLE_OUTPUT_DIR, `polish-${name}.png`);

async function settled(page: Page, heading?: string) {
  await expect
    .poll(() => headingState(page), { timeout: 20_000 })
    .toMatchObject(heading === undefined ? { isFocused: true } : { text: heading, isFocused: true });
  await expect.poll(() => mainText(page), { timeout: 20_000 }).not.toMatch(/Loading…|加载中…/);
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** Whether two boxes share any area (touching edges do not). */
const overlaps = (a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Dark pixels (luminance under half) of a PNG, counted in a blank page's canvas (no image library needed). */
async function inkOf(browser: Browser, png: Buffer): Promise<number> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (base64) => {
      const image = new Image();
      image.src = `data:image/png;base64,${base64}`;
      await image.decode();
      const canvas = new OffscreenCanvas(image.width, image.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0);
      const { data } = context.getImageData(0, 0, image.width, image.height);
      let dark = 0;
      for (let index = 0; index < data.length; index += 4) if (0.299 * data[index]! + 0.587 * data[index + 1]! + 0.114 * data[index + 2]! < 128) dark += 1;
      return dark;
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}

describe.skipIf(!hasChromium)('console polish (newcomer trials)', () => {
  test('the work view: "Fork from here" stays clear of the next item; a fork is titled as a fork (en, zh); the upload limit is shown', async () => {
    const user = await stack.apiUser('fork-title');
    const agentId = await stack.runningAgent(user.client, 'Stepper');
    // Untitled, as a conversation started from the API usually is.
    const conversation = await user.client.conversations.create({ agent_id: agentId });
    for await (const event of user.client.conversations.run(conversation.id, 'two steps please')) void event;
    const { page, errors } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations/${conversation.id}`);
    await settled(page, 'Untitled conversation');
    const buttons = inPage(page, '[data-action="fork"]');
    await expect.poll(() => buttons.count(), { timeout: 30_000 }).toBeGreaterThan(2);

    // 1. Each item's button, while pointed at, overlaps neither the next item's content nor its own.
    const items = inPage(page, '.virtual-item');
    const count = await items.count();
    let checked = 0;
    for (let index = 0; index < count - 1; index++) {
      const item = items.nth(index);
      const button = item.locator(':scope > .fork');
      if ((await button.count()) === 0) continue;
      await item.hover();
      await expect.poll(() => button.evaluate((element) => getComputedStyle(element).opacity)).toBe('1');
      const box = (await button.boundingBox())!;
      const next = (await items
        .nth(index + 1)
        .locator(':scope > :not(.fork)')
        .first()
        .boundingBox())!;
      const own = (await item.locator(':scope > :not(.fork)').first().boundingBox())!;
      if (checked === 0) await page.screenshot({ path: shot('fork-button') });
      expect(overlaps(box, next), `item ${index}: the button ${JSON.stringify(box)} and the next item ${JSON.stringify(next)}`).toBe(false);
      expect(overlaps(box, own), `item ${index}: the button ${JSON.stringify(box)} and its own item ${JSON.stringify(own)}`).toBe(false);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(2);

    // 11. The upload limit is visible next to the attach button, not only its tooltip.
    const limit = inPage(page, '[part="upload-limit"]');
    await expect.poll(() => limit.count()).toBe(1);
    expect(await limit.isVisible()).toBe(true);
    expect(await limit.textContent()).toMatch(/Files up to \d/);
    expect(await inPage(page, '[part="attach-button"] input').getAttribute('aria-describedby')).toBe('upload-limit');

    // 7. A fork of an untitled conversation says what it is: its first message and the step, in the heading and title.
    const seq = Number(await buttons.nth(1).getAttribute('data-seq'));
    await items.nth(1).hover();
    await buttons.nth(1).click();
    await page.waitForURL((url) => /\/conversations\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(conversation.id), { timeout: 30_000 });
    await expect.poll(() => headingState(page), { timeout: 20_000 }).toMatchObject({ text: `two steps please (fork at step ${seq})` });
    expect(await page.title()).toBe(`two steps please (fork at step ${seq}) · MetisAI`);
    await page.screenshot({ path: shot('fork-title-en') });
    const forkId = new URL(page.url()).pathname.split('/').at(-1)!;
    // The title is the server's (the original's, here none): the console only says what the conversation is.
    expect((await user.client.conversations.get(forkId)).title).toBeNull();
    // The conversations list names it the same way (it has no transcript: the original's title, or "Untitled").
    await page.goto(`${stack.server.url}/conversations`);
    await settled(page, 'Conversations');
    expect(await inPage(page, `a[href="/conversations/${forkId}"]`).textContent()).toContain(`(fork at step ${seq})`);

    // In Chinese, and with a title the user gave.
    await user.client.conversations.update(conversation.id, { title: 'Two steps' });
    const titled = await user.client.conversations.fork(conversation.id, { at_seq: seq });
    const zh = await stack.newPage({ token: user.token, locale: 'zh-CN' });
    await zh.page.goto(`${stack.server.url}/conversations/${titled.id}`);
    await expect.poll(() => headingState(zh.page), { timeout: 20_000 }).toMatchObject({ text: `Two steps（分叉自第 ${seq} 步）` });
    await expect.poll(() => inPage(zh.page, '[part="upload-limit"]').textContent()).toMatch(/\d/);
    await zh.page.screenshot({ path: shot('fork-title-zh') });
    expect(errors).toEqual([]);
  }, 120_000);

  test('2. bold Chinese headings and labels are drawn bold (the CJK font has no bold face)', async () => {
    const user = await stack.apiUser('bold');
    const { page } = await stack.newPage({ token: user.token, locale: 'zh-CN' });
    await page.goto(`${stack.server.url}/settings/llm`);
    await settled(page, '设置');
    await page.screenshot({ path: shot('bold-zh') });
    // The same text at its weight and at 400: bold has clearly more ink. (Set through the CSSOM: the CSP has no
    // inline styles.)
    for (const selector of ['main h1', 'main label[for="llm_base_url"]', 'header nav a']) {
      const element = inPage(page, selector).first();
      const bold = await inkOf(stack.browser, await element.screenshot());
      await element.evaluate((node) => (node as HTMLElement).style.setProperty('font-weight', '400'));
      const regular = await inkOf(stack.browser, await element.screenshot());
      await element.evaluate((node) => (node as HTMLElement).style.removeProperty('font-weight'));
      expect(bold / regular, `${selector}: ink at its weight ${bold}, at 400 ${regular}`).toBeGreaterThan(1.15);
    }
  });

  test('3. the dashboard: the "Get started" card keeps a gap above the grid', async () => {
    const user = await stack.apiUser('dashboard');
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/`);
    await settled(page, 'Dashboard');
    const checklist = (await inPage(page, '[data-checklist]').boundingBox())!;
    const grid = (await inPage(page, '.grid').boundingBox())!;
    await page.screenshot({ path: shot('dashboard') });
    expect(grid.y - (checklist.y + checklist.height)).toBeGreaterThanOrEqual(12);
  });

  test('4, 9, 10. the Embed tab: "Saved." beside the button, the snippet off while embedding is, the local driver warned of', async () => {
    const user = await stack.apiUser('embed');
    const agentId = await stack.runningAgent(user.client, 'Embedded');
    await user.client.agents.publishableKeys.create(agentId, { allowed_origins: ['https://shop.example.com'] });
    const { page } = await stack.newPage({ token: user.token, viewport: { width: 1280, height: 700 } });
    await page.goto(`${stack.server.url}/agents/${agentId}/embed`);
    await settled(page, 'Embedded');

    // 9. Embedding off: the snippet is dimmed, cannot be copied, and a sentence says to turn embedding on.
    const snippet = inPage(page, '[data-snippet]');
    expect(await snippet.getAttribute('aria-disabled')).toBe('true');
    expect(Number(await snippet.evaluate((element) => getComputedStyle(element).opacity))).toBeLessThan(0.7);
    expect(await inPage(page, '[data-action="copy-snippet"]').isDisabled()).toBe(true);
    expect(await inPage(page, '[data-embed-off]').textContent()).toContain('turn it on');
    await page.screenshot({ path: shot('embed-off'), fullPage: true });
    expect(await stack.axe(page), 'the Embed tab, embedding off, on the local driver').toEqual([]);

    // 10. The server runs the local driver (server-info): the policy warns that visitors need network egress there.
    const warning = inPage(page, '[data-local-driver]');
    expect(await warning.count()).toBe(1);
    expect(await warning.textContent()).toContain('egress');
    expect(await warning.textContent()).toContain('ALLOW_UNSAFE_LOCAL_SANDBOX');
    expect(await inPage(page, '#embed-network').getAttribute('aria-describedby')).toContain('local-driver-warning');

    // 4. Saved: the confirmation shows beside the button pressed, in view, in a live region.
    await inPage(page, 'form[data-form="embed"] [data-field="enabled"]').check();
    await inPage(page, '#embed-network').selectOption('egress');
    const save = inPage(page, '[data-action="save-embed"]');
    await save.scrollIntoViewIfNeeded();
    await save.click();
    const saved = inPage(page, 'form[data-form="embed"] [data-notice]');
    await expect.poll(() => saved.textContent()).toContain('Saved.');
    expect(await saved.getAttribute('aria-live')).toBe('polite');
    const viewport = page.viewportSize()!;
    const savedBox = (await saved.boundingBox())!;
    const saveBox = (await save.boundingBox())!;
    expect(savedBox.y).toBeGreaterThanOrEqual(0);
    expect(savedBox.y + savedBox.height).toBeLessThanOrEqual(viewport.height);
    expect(Math.abs(savedBox.y + savedBox.height / 2 - (saveBox.y + saveBox.height / 2))).toBeLessThan(saveBox.height);
    await page.screenshot({ path: shot('embed-saved') });
    // Embedding on: the snippet is ready to copy.
    expect(await snippet.getAttribute('aria-disabled')).toBe('false');
    expect(await inPage(page, '[data-action="copy-snippet"]').isDisabled()).toBe(false);
    expect(await inPage(page, '[data-embed-off]').count()).toBe(0);
  });

  test('5. the 404 page keeps the header and navigation when signed in', async () => {
    const user = await stack.apiUser('lost');
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/no/such/page`);
    await settled(page, 'Page not found');
    await expect.poll(() => inPage(page, 'header nav a').count()).toBe(5);
    expect(await inPage(page, '[data-action="sign-out"]').count()).toBe(1);
    expect(await inPage(page, 'main a[href="/"]').count()).toBe(1);
    await page.screenshot({ path: shot('not-found') });
    await inPage(page, 'header nav a[href="/agents"]').click();
    await settled(page, 'Agents');
    // Signed out, it stays the public page (no navigation it could not use).
    const signedOut = await stack.newPage();
    await signedOut.page.goto(`${stack.server.url}/no/such/page`);
    await settled(signedOut.page, 'Page not found');
    expect(await inPage(signedOut.page, 'header nav a').count()).toBe(0);
  });

  test('6. at 375 px the header takes at most two rows and nothing scrolls sideways (en, zh); the menu opens and navigates', async () => {
    const user = await stack.apiUser('phone');
    for (const locale of ['en-US', 'zh-CN']) {
      const { page } = await stack.newPage({ token: user.token, locale, viewport: { width: 375, height: 740 } });
      await page.goto(`${stack.server.url}/agents`);
      await settled(page);
      /** The rows the header's visible controls sit on. */
      const rows = () =>
        page.evaluate(() => {
          const header = document.querySelector('metis-console')!.shadowRoot!.querySelector('header')!;
          const tops = new Set<number>();
          for (const element of header.querySelectorAll('a, button, select')) {
            const box = element.getBoundingClientRect();
            if (box.width > 0 && box.height > 0 && box.top >= 0 && getComputedStyle(element).visibility !== 'hidden') tops.add(Math.round(box.top / 8));
          }
          return tops.size;
        });
      await page.screenshot({ path: shot(`header-375-${locale.slice(0, 2)}`) });
      expect(await rows(), locale).toBeLessThanOrEqual(2);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
      expect(await stack.axe(page), `${locale} at 375 px`).toEqual([]);
      // The navigation is one tap away: the menu button opens it, a link navigates and closes it.
      const menu = inPage(page, '[data-action="menu"]');
      if (await menu.isVisible()) {
        expect(await menu.getAttribute('aria-expanded')).toBe('false');
        await menu.click();
        expect(await menu.getAttribute('aria-expanded')).toBe('true');
        await page.screenshot({ path: shot(`header-375-${locale.slice(0, 2)}-open`) });
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
        expect(await stack.axe(page), `${locale} at 375 px, the menu open`).toEqual([]);
        await inPage(page, 'header nav a[href="/conversations"]').click();
        await settled(page);
        expect(new URL(page.url()).pathname).toBe('/conversations');
        expect(await menu.getAttribute('aria-expanded')).toBe('false');
        expect(await rows()).toBeLessThanOrEqual(2);
      }
    }
  });

  test('8. a wrong base URL on Save: its error is shown once', async () => {
    const user = await stack.apiUser('llm');
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/settings/llm`);
    await settled(page, 'Settings');
    for (const wrong of ['localhost:11434/v1', 'ftp://example.com/v1']) {
      await inPage(page, '#llm_base_url').fill(wrong);
      await inPage(page, 'form[data-form="llm"] button[type="submit"]').click();
      await expect.poll(() => inPage(page, '[data-field-error="llm_base_url"]').count()).toBe(1);
      const text = await inPage(page, 'form[data-form="llm"]').innerText();
      const sentence = (await inPage(page, '[data-field-error="llm_base_url"]').innerText()).trim();
      await page.screenshot({ path: shot(`llm-wrong-url-${wrong.startsWith('ftp') ? 'ftp' : 'no-scheme'}`) });
      // Each sentence of the error once in the whole form.
      for (const part of sentence.split(/(?<=[.:])\s+/).filter((piece) => piece.length > 8))
        expect(text.split(part).length - 1, `"${part}" in: ${text}`).toBe(1);
      expect(await inPage(page, 'form[data-form="llm"] .alert').count()).toBe(0);
    }
    // Test connection with an address where nothing answers, and one that answers but is no LLM.
    for (const [name, wrong] of [
      ['unreachable', 'http://127.0.0.1:9/v1'],
      ['not-an-llm', `${stack.server.url}/nothing/v1`],
    ] as const) {
      await inPage(page, '#llm_base_url').fill(wrong);
      await inPage(page, '[data-action="test-llm"]').click();
      await expect.poll(() => inPage(page, '[data-field-error="llm_base_url"], [data-test-result="error"]').count(), { timeout: 30_000 }).toBe(1);
      const text = await inPage(page, 'form[data-form="llm"]').innerText();
      const shown = (await inPage(page, '[data-field-error="llm_base_url"], [data-test-result="error"]').innerText()).trim();
      console.log(`[polish] ${name}: ${shown}`);
      await page.screenshot({ path: shot(`llm-test-${name}`) });
      for (const part of shown.split(/(?<=[.:])\s+/).filter((piece) => piece.length > 8)) expect(text.split(part).length - 1, `"${part}" in: ${text}`).toBe(1);
    }
  });

  test('8. a run against a wrong base URL: the failure is told once, not once per retry', async () => {
    const user = await stack.apiUser('retries');
    const agentId = await stack.runningAgent(user.client, 'Unreachable');
    // Nothing listens on port 9: each attempt fails to connect (the server retries 3 times, 1 + 2 + 4 s apart).
    await user.client.settings.update({ llm_base_url: 'http://127.0.0.1:9/v1' });
    const conversation = await user.client.conversations.create({ agent_id: agentId, title: 'Wrong address' });
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations/${conversation.id}`);
    await settled(page, 'Wrong address');
    await inPage(page, 'textarea').fill('hello');
    await inPage(page, 'textarea').press('Enter');
    await expect.poll(() => inPage(page, '[part="run-error"]:not([data-code="llm_retry"])').count(), { timeout: 30_000 }).toBe(1);
    await page.screenshot({ path: shot('run-wrong-url') });
    expect(await inPage(page, '[part="run-error"]').count()).toBe(1);
    const log = await inPage(page, '.log').innerText();
    expect(log.split('Connection error').length - 1, log).toBe(1);
    // Reloaded (the log rebuilt from the stored events): the same one line.
    await page.reload();
    await settled(page, 'Wrong address');
    await expect.poll(() => inPage(page, '[part="run-error"]').count()).toBe(1);
  }, 60_000);
});

import { turns } from '@metisai/scripted-llm';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { eventually, expectedSeqs, hasChromium, lastUserText, shownItems, startStack, type Stack } from '../support/harness.ts';

// The launcher, its stream only while needed, unread badges, the conversation list, long transcripts, two widgets
// on a page, an offline agent and configuration errors.

let stack: Stack;
let agentId: string;
let otherAgentId: string;

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startStack({
    script: (request) => {
      const text = lastUserText(request);
      if (text.startsWith('slow')) return turns.text('A slow answer, '.repeat(20).trim(), { chunkDelayMs: 30 });
      return turns.text(`echo: ${text}`);
    },
  });
  agentId = await stack.agent('helper');
  otherAgentId = await stack.agent('other');
}, 120_000);
afterEach(async () => {
  for (const context of stack?.browser.contexts() ?? []) await context.close();
});
afterAll(async () => {
  await stack?.close();
});

type WidgetEvent = { type: string; id: string; conversationId?: string; state?: string; code?: string };
const widgetEvents = (page: Page) => page.evaluate(() => (window as unknown as { __events: WidgetEvent[] }).__events);
const ready = (page: Page, id = 'chat') =>
  eventually(async () => (await widgetEvents(page)).find((event) => event.type === 'metis-ready' && event.id === id), 15_000, `${id} ready`);
const runEnds = async (page: Page, count: number, id = 'chat') =>
  eventually(
    async () => (await widgetEvents(page)).filter((event) => event.type === 'metis-run-end' && event.id === id).length >= count,
    30_000,
    `${count} run ends`,
  );
const conversationOf = async (page: Page, id = 'chat') =>
  (await widgetEvents(page)).findLast((event) => event.type === 'metis-conversation-change' && event.id === id)?.conversationId;

async function send(page: Page, text: string, id = 'chat') {
  const input = page.locator(`metis-chat#${id} textarea`);
  await input.fill(text);
  await input.press('Enter');
}

describe.skipIf(!hasChromium)('<metis-chat> navigation', () => {
  test('launcher: no stream while closed and idle; one while open or while a run goes on; unread badge; Esc closes and returns focus', async () => {
    const { page } = await stack.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
    await page.goto(stack.host.page('launcher', { attributes: { server: stack.server.url, agent: agentId, token: stack.token } }));
    await ready(page);
    expect(stack.server.events.subscriberCount).toBe(0);
    const launcher = page.locator('metis-chat [part~="launcher"]');
    expect(await launcher.getAttribute('aria-expanded')).toBe('false');
    await launcher.click();
    await send(page, 'hello launcher');
    await runEnds(page, 1);
    expect(stack.server.events.subscriberCount).toBe(1);

    // Esc closes, focus goes back to the launcher, the idle stream closes.
    await page.locator('metis-chat textarea').focus();
    await page.keyboard.press('Escape');
    expect(await page.locator('metis-chat [part~="panel"]').count()).toBe(0);
    expect(await page.evaluate(() => document.querySelector('metis-chat')?.shadowRoot?.activeElement?.getAttribute('part'))).toBe('launcher');
    await eventually(() => stack.server.events.subscriberCount === 0, 5_000, 'the stream to close');
    const streamsBefore = requests.filter((request) => request.includes('/events')).length;
    await page.waitForTimeout(500);
    expect(requests.filter((request) => request.includes('/events')).length).toBe(streamsBefore);

    // A run going on while closed keeps its stream; its answer counts as unread.
    await launcher.click();
    await send(page, 'slow please');
    await eventually(async () => (await widgetEvents(page)).filter((event) => event.type === 'metis-run-start').length === 2, 10_000, 'the run to start');
    await page.keyboard.press('Escape');
    expect(stack.server.events.subscriberCount).toBe(1);
    await runEnds(page, 2);
    await eventually(() => stack.server.events.subscriberCount === 0, 5_000, 'the stream to close after the run');
    const badge = page.locator('metis-chat [part~="badge"]');
    expect(await badge.innerText()).toBe('1');
    expect(await launcher.getAttribute('aria-label')).toBe('Open chat (1 unread)');
    await launcher.click();
    expect(await badge.count()).toBe(0);
    expect(await page.locator('metis-chat [part~="message-assistant"]').last().innerText()).toContain('A slow answer');
  });

  test('methods: open(), send(), setConversation(), close() and focus()', async () => {
    const { page } = await stack.newPage();
    await page.goto(stack.host.page('methods', { attributes: { server: stack.server.url, agent: agentId, token: stack.token } }));
    await ready(page);
    const stored = await page.evaluate(async () => {
      const chat = document.querySelector('metis-chat')!;
      chat.open();
      return chat.send('sent through the API');
    });
    expect(stored).toBe(true);
    expect(await page.locator('metis-chat').getAttribute('open')).toBe('');
    await runEnds(page, 1);
    expect((await shownItems(page)).map((item) => item.text)).toEqual(['sent through the API', 'echo: sent through the API']);
    await page.evaluate(() => document.querySelector('metis-chat')!.setConversation(null));
    expect(await shownItems(page)).toEqual([]);
    expect((await widgetEvents(page)).at(-1)).toMatchObject({ type: 'metis-conversation-change', conversationId: null });
    await page.evaluate(() => document.querySelector('metis-chat')!.focus());
    expect(await page.evaluate(() => document.querySelector('metis-chat')?.shadowRoot?.activeElement?.tagName)).toBe('TEXTAREA');
    await page.evaluate(() => document.querySelector('metis-chat')!.close());
    expect(await page.locator('metis-chat').getAttribute('open')).toBeNull();
    expect(await page.evaluate(() => document.querySelector('metis-chat')?.shadowRoot?.activeElement?.getAttribute('part'))).toBe('launcher');
  });

  test('new chat, the conversation list, and the current conversation kept across a reload', async () => {
    const { page } = await stack.newPage();
    await page.goto(stack.host.page('list', { attributes: { server: stack.server.url, agent: agentId, token: stack.token, mode: 'inline' } }));
    await ready(page);
    await send(page, 'first conversation');
    await runEnds(page, 1);
    const first = await conversationOf(page);
    await page.locator('metis-chat [part~="header-button"][aria-label="New chat"]').click();
    expect(await shownItems(page)).toEqual([]);
    await send(page, 'second conversation');
    await runEnds(page, 2);
    const second = await conversationOf(page);
    expect(second).not.toBe(first);

    await page.reload();
    const restored = await ready(page);
    expect(restored.conversationId).toBe(second);
    await eventually(async () => (await shownItems(page)).some((item) => item.text === 'second conversation'), 5_000, 'the second conversation');

    await page.locator('metis-chat [part~="header-button"][aria-label="Conversations"]').click();
    const entries = page.locator('metis-chat [part~="conversation"]');
    await eventually(async () => (await entries.count()) >= 2, 5_000, 'the list');
    expect(await entries.first().getAttribute('aria-current')).toBe('true'); // newest first: the current one
    await entries.nth(1).click();
    await eventually(async () => (await shownItems(page)).some((item) => item.text === 'first conversation'), 5_000, 'the first conversation');
    expect(await conversationOf(page)).toBe(first);
  });

  test('a long transcript loads its newest page, then older pages above without moving the reader', async () => {
    const conversation = await stack.client.conversations.create({ agent_id: agentId });
    for (let index = 1; index <= 55; index += 1) await stack.client.conversations.run(conversation.id, `message ${index}`).finalState();
    const events = await stack.events(conversation.id);
    expect(events.length).toBeGreaterThan(200);
    const { page } = await stack.newPage();
    await page.goto(
      stack.host.page('paging', {
        attributes: { server: stack.server.url, agent: agentId, token: stack.token, mode: 'inline', conversation: conversation.id },
      }),
    );
    await ready(page);
    const newest = expectedSeqs(events.filter((event) => event.seq > events.length - 200));
    await eventually(async () => JSON.stringify((await shownItems(page)).map((item) => item.seq)) === JSON.stringify(newest), 10_000, 'the newest page');
    // The reader is at the bottom.
    const log = page.locator('metis-chat [part~="log"]');
    expect(await log.evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight)).toBeLessThan(40);

    await log.evaluate((element) => {
      element.scrollTop = 0;
    });
    const firstShown = newest[0]!;
    const before = await page.locator(`metis-chat [data-seq="${firstShown}"]`).boundingBox();
    await page.locator('metis-chat [part~="load-earlier"]').click();
    await eventually(
      async () => JSON.stringify((await shownItems(page)).map((item) => item.seq)) === JSON.stringify(expectedSeqs(events)),
      10_000,
      'every item',
    );
    expect(await page.locator('metis-chat [part~="load-earlier"]').count()).toBe(0);
    const after = await page.locator(`metis-chat [data-seq="${firstShown}"]`).boundingBox();
    expect(Math.abs((after?.y ?? 0) - (before?.y ?? 0))).toBeLessThan(4);
    // Scrolled up, a "jump to latest" button brings the reader back down.
    await page.locator('metis-chat [part~="jump-button"]').click();
    expect(await log.evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight)).toBeLessThan(40);
  });

  test('two widgets on one page work independently', async () => {
    const { page } = await stack.newPage();
    const url = stack.host.page('two', {
      attributes: { server: stack.server.url, agent: agentId, token: stack.token, mode: 'inline' },
      second: { server: stack.server.url, agent: otherAgentId, token: stack.token, mode: 'inline', locale: 'zh' },
    });
    await page.goto(url);
    await Promise.all([ready(page, 'chat'), ready(page, 'second')]);
    await send(page, 'to the first', 'chat');
    await send(page, 'to the second', 'second');
    await Promise.all([runEnds(page, 1, 'chat'), runEnds(page, 1, 'second')]);
    const [one, two] = [await conversationOf(page, 'chat'), await conversationOf(page, 'second')];
    expect(one).not.toBe(two);
    expect((await stack.client.conversations.get(one!)).agent_id).toBe(agentId);
    expect((await stack.client.conversations.get(two!)).agent_id).toBe(otherAgentId);
    expect((await shownItems(page, 'chat')).map((item) => item.text)).toEqual(['to the first', 'echo: to the first']);
    expect((await shownItems(page, 'second')).map((item) => item.text)).toEqual(['to the second', 'echo: to the second']);
    expect(await page.locator('metis-chat#second textarea').getAttribute('placeholder')).toBe('输入你的问题…');
    await page.reload();
    const restored = await Promise.all([ready(page, 'chat'), ready(page, 'second')]);
    expect(restored.map((event) => event.conversationId)).toEqual([one, two]);
  });

  test('an agent that is not running shows the offline state', async () => {
    const offline = await stack.client.agents.create({ name: 'stopped one' });
    const { page } = await stack.newPage();
    await page.goto(stack.host.page('offline-agent', { attributes: { server: stack.server.url, agent: offline.id, token: stack.token, mode: 'inline' } }));
    await ready(page);
    expect(await page.locator('metis-chat [part~="status"]').innerText()).toBe('The agent is offline.');
    expect(await page.locator('metis-chat textarea').isDisabled()).toBe(true);
  });

  test.each([
    ['an API key as token', { token: 'metis_0123456789abcdef' }, 'api_key_refused', 'cannot be used in a web page'],
    // The server answers an unknown key without CORS headers: the page only learns that no session opened.
    ['an unknown publishable key (visitor mode)', { 'publishable-key': 'pk_test_123' }, 'visitor_session_failed', 'could not start on this website'],
    ['no credentials', {}, 'missing_credentials', 'no credentials'],
    ['an expired or revoked token', { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }, 'unauthorized', 'not signed in'],
  ])('%s: the error state, a metis-error event and a console error', async (_name, attributes, code, text) => {
    const { page } = await stack.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(stack.host.page(`error-${code}`, { attributes: { server: stack.server.url, agent: agentId, mode: 'inline', ...attributes } }));
    const alert = page.locator('metis-chat [part~="error"][role="alert"]');
    await eventually(async () => (await alert.count()) === 1, 10_000, 'the error state');
    expect(await alert.getAttribute('data-code')).toBe(code);
    expect(await alert.innerText()).toContain(text);
    expect((await widgetEvents(page)).find((event) => event.type === 'metis-error')?.code).toBe(code);
    if (code !== 'unauthorized') expect(consoleErrors.join('\n')).toContain('<metis-chat>');
    expect(await page.locator('metis-chat textarea').count()).toBe(0);
  });
});

import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { turns } from '@metisai/scripted-llm';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { eventually, expectedSeqs, hasChromium, lastUserText, OUTPUT_DIR, shownItems, startStack, type Stack } from '../support/harness.ts';

// Owner mode (a session token): files attached in the composer (picked, dropped, pasted) go up with a progress bar
// into the conversation's workspace, the server's limit shown by the field and enforced before a byte goes, and the
// message names them (`attachments`); the offline state when the agent is stopped or deleted, or the server cannot
// be reached, and the recovery when it is back.

const LIMIT_BYTES = 4 * 1024 * 1024;

let stack: Stack;
let agentId: string;

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startStack({
    env: { UPLOAD_LIMIT_BYTES: String(LIMIT_BYTES) },
    // The model repeats what it read: the message's text and a line per attached file.
    script: (request) => turns.text(`echo: ${lastUserText(request)}`),
  });
  agentId = await stack.agent('files');
}, 120_000);
afterEach(async () => {
  for (const context of stack?.browser.contexts() ?? []) await context.close();
});
afterAll(async () => {
  await stack?.close();
});

type WidgetEvent = { type: string; id: string; conversationId?: string; state?: string; code?: string };
const widgetEvents = (page: Page) => page.evaluate(() => (window as unknown as { __events: WidgetEvent[] }).__events);
const ready = (page: Page) => eventually(async () => (await widgetEvents(page)).find((event) => event.type === 'metis-ready'), 15_000, 'ready');
const runEnds = (page: Page, count: number) =>
  eventually(async () => (await widgetEvents(page)).filter((event) => event.type === 'metis-run-end').length >= count, 30_000, `${count} run ends`);
const conversationOf = async (page: Page) => (await widgetEvents(page)).findLast((event) => event.type === 'metis-conversation-change')?.conversationId;

const ownerPage = (name: string, extra: Record<string, string | undefined> = {}) =>
  stack.host.page(name, { attributes: { server: stack.server.url, agent: agentId, token: stack.token, mode: 'inline', ...extra } });

/** Files for `setInputFiles`. */
const file = (name: string, bytes: number, mimeType = 'application/octet-stream') => ({ name, mimeType, buffer: Buffer.alloc(bytes, 'a') });

const attachments = (page: Page) =>
  page.evaluate(() =>
    [...(document.querySelector('metis-chat')?.shadowRoot?.querySelectorAll('[part~="attachment"]') ?? [])].map((element) => ({
      status: element.getAttribute('data-status'),
      path: element.getAttribute('data-path'),
      text: (element.textContent ?? '').replace(/\s+/g, ' ').trim(),
    })),
  );

describe.skipIf(!hasChromium)('<metis-chat> attachments (owner mode)', () => {
  test('picked files upload with a progress bar, are named by the message, and show on it (also after a reload)', async () => {
    const { page, context } = await stack.newPage();
    const puts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PUT') puts.push(new URL(request.url()).searchParams.get('path') ?? '');
    });
    await page.goto(ownerPage('attach-pick'));
    await ready(page);
    // The server's limit, from GET /server-info, next to the field.
    const limit = page.locator('metis-chat [part~="upload-limit"]');
    await eventually(async () => (await limit.count()) === 1, 5_000, 'the limit');
    expect(await limit.innerText()).toBe('Files up to 4 MB');
    expect(await page.locator('metis-chat input[type="file"]').getAttribute('aria-describedby')).toBe('upload-limit');

    // A slow upload (3 MB at 1 MB/s, DevTools throttling): the progress bar moves.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
    await page.locator('metis-chat input[type="file"]').setInputFiles([file('data.bin', 3 * 1024 * 1024)]);
    const progress = page.locator('metis-chat [part~="attachment-progress"]');
    const values: number[] = [];
    await eventually(
      async () => {
        const value = await progress.evaluate((element) => (element as HTMLProgressElement).value, undefined, { timeout: 200 }).catch(() => undefined);
        if (value !== undefined) values.push(value);
        return (await attachments(page))[0]?.status === 'ready';
      },
      30_000,
      'the upload to finish',
    );
    expect(await progress.count()).toBe(0); // gone once uploaded
    const moving = values.filter((value) => value > 0 && value < 3 * 1024 * 1024);
    expect(moving.length).toBeGreaterThan(0);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    // A second file, and the same name again: `name (2).ext`.
    await page.locator('metis-chat input[type="file"]').setInputFiles([file('notes.txt', 120, 'text/plain'), file('notes.txt', 80, 'text/plain')]);
    await eventually(async () => (await attachments(page)).every((entry) => entry.status === 'ready'), 10_000, 'uploaded');
    expect((await attachments(page)).map((entry) => entry.path)).toEqual(['uploads/data.bin', 'uploads/notes.txt', 'uploads/notes (2).txt']);
    expect((await attachments(page))[1]!.text).toContain('notes.txt 120 B');
    // Removed before sending: not named by the message (the file stays in the workspace).
    await page.locator('metis-chat [part~="attachment"]').nth(2).getByRole('button', { name: 'Remove notes.txt' }).click();

    const input = page.locator('metis-chat textarea');
    await input.fill('read these');
    await input.press('Enter');
    await runEnds(page, 1);
    const conversationId = (await conversationOf(page))!;
    expect(puts).toEqual(['uploads/data.bin', 'uploads/notes.txt', 'uploads/notes (2).txt']);
    // The stored message names the files, with their size and type; the model read a line per file.
    const events = await stack.events(conversationId);
    const message = events.find((event) => event.type === 'message' && event.role === 'user');
    expect(message?.type === 'message' && message.attachments).toEqual([
      { path: 'uploads/data.bin', size: 3 * 1024 * 1024, type: 'application/octet-stream' },
      { path: 'uploads/notes.txt', size: 120, type: 'text/plain' },
    ]);
    const answer = events.findLast((event) => event.type === 'message' && event.role === 'assistant');
    expect(answer?.type === 'message' && answer.content).toMatch(/\[attached: \S+\/uploads\/data\.bin, 3(\.0)? MB, application\/octet-stream\]/);
    // The composer is empty again; the message shows its files (the uploads' workspace events are no items of their own).
    expect(await attachments(page)).toEqual([]);
    const shownFiles = () => page.locator('metis-chat [part~="message-user"] [part~="message-attachment"]').allInnerTexts();
    expect((await shownFiles()).map((text) => text.replace(/\s+/g, ' '))).toEqual(['data.bin 3 MB', 'notes.txt 120 B']);
    expect((await shownItems(page)).map((item) => item.seq)).toEqual(expectedSeqs(events));
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'attachments-sent-inline-light-en.png') });

    await page.reload();
    await ready(page);
    await eventually(async () => (await shownFiles()).length === 2, 10_000, 'the files after a reload');
    expect((await shownFiles()).map((text) => text.replace(/\s+/g, ' '))).toEqual(['data.bin 3 MB', 'notes.txt 120 B']);
  });

  test('a file over the limit is refused before any byte goes, with a translated message; dropped and pasted files upload', async () => {
    const { page } = await stack.newPage();
    const puts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PUT') puts.push(new URL(request.url()).searchParams.get('path') ?? '');
    });
    await page.goto(ownerPage('attach-limit-zh', { locale: 'zh', theme: 'dark' }));
    await ready(page);
    const limit = page.locator('metis-chat [part~="upload-limit"]');
    await eventually(async () => (await limit.count()) === 1, 5_000, 'the limit');
    expect(await limit.innerText()).toBe('单个文件不超过 4 MB');
    await page.locator('metis-chat input[type="file"]').setInputFiles([file('big.iso', LIMIT_BYTES + 1)]);
    await eventually(async () => (await attachments(page))[0]?.status === 'failed', 5_000, 'refused');
    expect(await page.locator('metis-chat [part~="attachment"] [role="alert"]').innerText()).toBe('文件过大：不能超过 4 MB');
    expect(puts).toEqual([]);

    // Dropped on the composer, and pasted into the field.
    await page.evaluate(() => {
      const root = document.querySelector('metis-chat')!.shadowRoot!;
      const dropped = new DataTransfer();
      dropped.items.add(new File(['dropped text'], 'dropped.md', { type: 'text/markdown' }));
      const form = root.querySelector('form')!;
      form.dispatchEvent(new DragEvent('dragover', { dataTransfer: dropped, bubbles: true, cancelable: true, composed: true }));
      form.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true, composed: true }));
      const pasted = new DataTransfer();
      pasted.items.add(new File([new Uint8Array([137, 80, 78, 71])], 'screenshot.png', { type: 'image/png' }));
      root.querySelector('textarea')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true, composed: true }));
    });
    await eventually(async () => (await attachments(page)).filter((entry) => entry.status === 'ready').length === 2, 10_000, 'uploaded');
    expect(puts).toEqual(['uploads/dropped.md', 'uploads/screenshot.png']);
    expect(await page.locator('metis-chat textarea').inputValue()).toBe('');
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'attachments-composer-inline-dark-zh.png') });
    // The refused one is dropped by hand; the others go with the message.
    await page.locator('metis-chat [part~="attachment"][data-status="failed"] button').click();
    const input = page.locator('metis-chat textarea');
    await input.fill('看看这些文件');
    await input.press('Enter');
    await runEnds(page, 1);
    const events = await stack.events((await conversationOf(page))!);
    const message = events.find((event) => event.type === 'message' && event.role === 'user');
    expect(message?.type === 'message' && message.attachments?.map((entry) => entry.path)).toEqual(['uploads/dropped.md', 'uploads/screenshot.png']);
  });

  test('launcher mode: attachments in the panel (screenshot, light and dark)', async () => {
    for (const [theme, locale] of [
      ['light', 'en'],
      ['dark', 'zh'],
    ] as const) {
      const { page, context } = await stack.newPage({ viewport: { width: 900, height: 760 } });
      await page.goto(ownerPage(`attach-launcher-${theme}-${locale}`, { mode: 'launcher', open: '', theme, locale }));
      await ready(page);
      await page.locator('metis-chat input[type="file"]').setInputFiles([file('report.pdf', 2048, 'application/pdf')]);
      await eventually(async () => (await attachments(page))[0]?.status === 'ready', 10_000, 'uploaded');
      const input = page.locator('metis-chat textarea');
      await input.fill(locale === 'zh' ? '总结这份报告' : 'summarise the report');
      await input.press('Enter');
      await runEnds(page, 1);
      await page.locator('metis-chat input[type="file"]').setInputFiles([file('appendix.csv', 900, 'text/csv'), file('huge.zip', LIMIT_BYTES * 2)]);
      await eventually(async () => (await attachments(page)).every((entry) => entry.status !== 'uploading'), 10_000, 'settled');
      await page.screenshot({ path: path.join(OUTPUT_DIR, `attachments-launcher-${theme}-${locale}.png`) });
      await context.close();
    }
  });
});

describe.skipIf(!hasChromium)('<metis-chat> offline state (owner mode)', () => {
  const offline = (page: Page) => page.locator('metis-chat [part~="offline"]');

  test('a stopped agent: the offline state (a status, translated), no input; back by itself once it runs again', async () => {
    const stopped = await stack.client.agents.create({ name: 'sometimes off', config: { warm_pool_size: 0 } });
    const { page } = await stack.newPage();
    await page.goto(ownerPage('offline-stopped', { agent: stopped.id }));
    await ready(page);
    await eventually(async () => (await offline(page).count()) === 1, 5_000, 'the offline state');
    expect(await offline(page).getAttribute('role')).toBe('status');
    expect(await offline(page).getAttribute('data-reason')).toBe('agent');
    expect((await offline(page).innerText()).replace(/\s+/g, ' ')).toBe(
      'The agent is offline It cannot answer right now. This chat comes back by itself once the agent is running again.',
    );
    expect(await page.locator('metis-chat textarea').isDisabled()).toBe(true);
    expect(await page.locator('metis-chat [role="alert"]').count()).toBe(0);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'offline-agent-inline-light-en.png') });

    await stack.client.agents.start(stopped.id);
    await eventually(async () => (await offline(page).count()) === 0, 20_000, 'the offline state to go');
    expect(await page.locator('metis-chat textarea').isDisabled()).toBe(false);
    const input = page.locator('metis-chat textarea');
    await input.fill('hello again');
    await input.press('Enter');
    await runEnds(page, 1);
    expect((await shownItems(page)).map((item) => item.text)).toEqual(['hello again', 'echo: hello again']);
  });

  test('a deleted agent: the offline state, in Chinese too', async () => {
    const doomed = await stack.client.agents.create({ name: 'gone soon', config: { warm_pool_size: 0 } });
    await stack.client.agents.delete(doomed.id);
    const { page } = await stack.newPage();
    await page.goto(ownerPage('offline-deleted', { agent: doomed.id, locale: 'zh', mode: 'launcher', open: '', theme: 'dark' }));
    await ready(page);
    await eventually(async () => (await offline(page).count()) === 1, 5_000, 'the offline state');
    expect((await offline(page).innerText()).replace(/\s+/g, ' ')).toBe('智能体当前离线 它暂时无法回复。智能体恢复运行后，对话会自动恢复。');
    expect(await page.locator('metis-chat [role="alert"]').count()).toBe(0);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'offline-agent-launcher-dark-zh.png') });
  });

  test('an unreachable server: the offline state instead of an error, and the chat once it answers', async () => {
    // A TCP proxy in front of the server, down at first: the widget's script comes from the server itself.
    const proxy = await tcpProxy(new URL(stack.server.url));
    const { page } = await stack.newPage();
    await page.goto(
      stack.host.page('offline-server', {
        attributes: { server: proxy.origin, agent: agentId, token: stack.token, mode: 'inline' },
        connectTo: [proxy.origin],
      }),
    );
    await eventually(async () => (await offline(page).count()) === 1, 15_000, 'the offline state');
    expect(await offline(page).getAttribute('data-reason')).toBe('server');
    expect((await offline(page).innerText()).replace(/\s+/g, ' ')).toBe('The chat is offline The server cannot be reached. Trying again…');
    expect(await page.locator('metis-chat [role="alert"]').count()).toBe(0);
    expect((await widgetEvents(page)).some((event) => event.type === 'metis-ready')).toBe(false);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'offline-server-inline-light-en.png') });

    await proxy.up();
    await ready(page);
    await eventually(async () => (await offline(page).count()) === 0, 5_000, 'the offline state to go');
    const input = page.locator('metis-chat textarea');
    await input.fill('through the proxy');
    await input.press('Enter');
    await runEnds(page, 1);
    expect((await shownItems(page)).map((item) => item.text)).toEqual(['through the proxy', 'echo: through the proxy']);

    // The server goes away mid-session: after a few failed reconnects, the offline state; back once the stream opens.
    const conversationId = (await conversationOf(page))!;
    await eventually(() => stack.server.events.subscribersOf(conversationId) === 1, 10_000, 'the open stream');
    await proxy.down();
    await eventually(
      async () =>
        (await offline(page)
          .getAttribute('data-reason')
          .catch(() => null)) === 'server',
      20_000,
      'offline again',
    );
    expect(await page.locator('metis-chat [role="alert"]').count()).toBe(0);
    await proxy.up();
    await eventually(async () => (await offline(page).count()) === 0, 30_000, 'back');
    await input.fill('after the outage');
    await input.press('Enter');
    await runEnds(page, 2);
    await page.context().close();
    await proxy.close();
  }, 90_000);
});

/** A TCP proxy to `target` on a port of its own, not listening until `up()` (a server that cannot be reached). */
async function tcpProxy(target: URL) {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  // A free port, released at once: nothing listens there until `up()`.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    origin: `http://127.0.0.1:${port}`,
    up: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    /** Stops listening and cuts every connection (a server gone away). */
    down: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

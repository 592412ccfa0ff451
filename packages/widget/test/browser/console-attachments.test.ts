import path from 'node:path';
import { turns } from '@metisai/scripted-llm';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CONSOLE_OUTPUT_DIR, eventually, hasChromium, lastUserText, startConsoleStack, type ConsoleStack } from '../support/console-harness.ts';

// The console's conversation view has the composer of <metis-chat>: files attached there go up into the
// conversation's workspace with a progress bar, the server's limit is shown by the field, and the message names them.

let stack: ConsoleStack;

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startConsoleStack({ script: (request) => turns.text(`echo: ${lastUserText(request)}`), env: { UPLOAD_LIMIT_BYTES: String(1024 * 1024) } });
}, 120_000);
afterEach(async () => {
  for (const context of stack?.browser.contexts() ?? []) await context.close();
});
afterAll(async () => {
  await stack?.close();
});

const composer = (page: Page, selector: string) => page.locator(`metis-console metis-conversation-page ${selector}`);

describe.skipIf(!hasChromium)('console: attachments in the conversation view', () => {
  test('a file picked in the composer is uploaded, named by the message and shown on it; one over the limit is refused', async () => {
    const user = await stack.apiUser('attach');
    const agentId = await stack.runningAgent(user.client, 'reader');
    const conversation = await user.client.conversations.create({ agent_id: agentId, title: 'With files' });
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations/${conversation.id}`);
    // The limit: a line under the field (its place kept from the first render), and the attach button's tooltip.
    const attach = composer(page, '[part~="attach-button"]');
    await eventually(async () => (await attach.getAttribute('title')) === 'Attach files (Files up to 1 MB)', 10_000, 'the limit');
    expect(await composer(page, '[part~="upload-limit"]').innerText()).toBe('Files up to 1 MB');
    await composer(page, 'input[type="file"]').setInputFiles([
      { name: 'table.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n') },
      { name: 'too-big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1024 * 1024 + 1) },
    ]);
    const statuses = () => composer(page, '[part~="attachment"]').evaluateAll((items) => items.map((item) => item.getAttribute('data-status')));
    await eventually(async () => JSON.stringify(await statuses()) === JSON.stringify(['ready', 'failed']), 10_000, 'uploaded and refused');
    expect(await composer(page, '[part~="attachment"][data-status="failed"] [role="alert"]').innerText()).toBe('Too large: files up to 1 MB');
    await page.screenshot({ path: path.join(CONSOLE_OUTPUT_DIR, 'conversation-attachments-en-light.png') });
    await composer(page, '[part~="attachment"][data-status="failed"] button').click();
    await composer(page, 'textarea').fill('sum the table');
    await composer(page, 'textarea').press('Enter');
    await eventually(async () => (await user.client.conversations.get(conversation.id)).state === 'idle' && (await statuses()).length === 0, 30_000, 'sent');
    const events = [];
    for await (const event of user.client.conversations.events.list(conversation.id)) events.push(event);
    const message = events.find((event) => event.type === 'message' && event.role === 'user');
    expect(message?.type === 'message' && message.attachments).toEqual([{ path: 'uploads/table.csv', size: 8, type: 'text/csv' }]);
    // Shown on the message, also after a reload; the files pane lists the upload.
    const shown = composer(page, '[part~="message-attachment"]');
    await eventually(async () => (await shown.count()) === 1, 10_000, 'the file on the message');
    await page.reload();
    await eventually(async () => (await shown.count()) === 1, 10_000, 'the file after a reload');
    expect((await shown.innerText()).replace(/\s+/g, ' ')).toBe('table.csv 8 B');
  });
});

import { turns } from '@metisai/scripted-llm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, expectedSeqs, hasChromium, lastUserText, shownItems, startStack, type Stack } from '../support/harness.ts';

let stack: Stack;
let agentId: string;

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startStack({
    script: (request) => {
      const text = lastUserText(request);
      if (text.startsWith('hello')) return turns.text('Hello from **the agent**.\n\nA second paragraph, streamed in pieces.', { chunkDelayMs: 20 });
      return turns.text(`echo: ${text}`);
    },
  });
  agentId = await stack.agent('helper');
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

describe.skipIf(!hasChromium)('<metis-chat> in owner mode', () => {
  test('a message streams the answer, rendered from markdown', async () => {
    const { context, page } = await stack.newPage();
    const url = stack.host.page('basic', { attributes: { server: stack.server.url, agent: agentId, token: stack.token, mode: 'inline' } });
    await page.goto(url);
    const input = page.locator('metis-chat textarea');
    await input.fill('hello there');
    await input.press('Enter');
    const answer = page.locator('metis-chat [part~="message-assistant"]').last();
    await eventually(async () => (await answer.innerText()).includes('A second paragraph, streamed in pieces.'), 20_000, 'the answer');
    expect(await answer.locator('strong').innerText()).toBe('the agent');
    const conversationId = await eventually(
      () =>
        page.evaluate(
          () =>
            (window as unknown as { __events: Array<{ type: string; conversationId?: string }> }).__events.find((e) => e.type === 'metis-conversation-change')
              ?.conversationId,
        ),
      5_000,
      'the conversation id',
    );
    await eventually(async () => (await stack.client.conversations.get(conversationId)).state === 'idle', 10_000, 'the run to end');
    const events = await stack.events(conversationId);
    await eventually(
      async () => JSON.stringify((await shownItems(page)).map((item) => item.seq)) === JSON.stringify(expectedSeqs(events)),
      5_000,
      'the transcript',
    );
    await page.screenshot({ path: 'test/output/scratch-basic.png' });
    await context.close();
  });
});

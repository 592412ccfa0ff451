import { turns } from '@metisai/scripted-llm';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { eventually, expectedSeqs, hasChromium, lastUserText, shownItems, startStack, toolResultsOf, workdirOf, type Stack } from '../support/harness.ts';

// The widget in owner mode (a session token) against a real server, the scripted LLM and Chromium: what a user sees
// while an agent answers, works, is stopped, and while the page reloads, goes offline or is frozen.

const SENTENCES = 30;
const SLOW_ANSWER = Array.from({ length: SENTENCES }, (_, index) => `Sentence ${index + 1} of a long answer.`).join(' ');

let stack: Stack;
let agentId: string;
let confirmingAgentId: string;
let hasFailed = false;

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startStack({
    script: (request) => {
      const text = lastUserText(request);
      const results = toolResultsOf(request);
      if (text.startsWith('hello')) return turns.text('Hello from **the agent**.\n\nA second paragraph, streamed in pieces.', { chunkDelayMs: 15 });
      if (text.startsWith('count')) {
        if (results.length === 0) return turns.toolCall('execute_bash', { command: 'for i in $(seq 1 200); do echo $i; sleep 0.01; done' });
        return turns.text('Counted to 200.');
      }
      if (text.startsWith('edit')) {
        const file = `${workdirOf(request)}/notes.txt`;
        if (results.length === 0) return turns.toolCall('str_replace_editor', { command: 'create', path: file, file_text: 'one\ntwo\n' });
        if (results.length === 1) return turns.toolCall('str_replace_editor', { command: 'str_replace', path: file, old_str: 'two', new_str: 'three' });
        return turns.text('Edited notes.txt.');
      }
      if (text.startsWith('slow')) return turns.text(SLOW_ANSWER, { chunkDelayMs: 25 });
      if (text.startsWith('blocks')) return turns.text(`First paragraph, finished early.\n\n${SLOW_ANSWER}`, { chunkDelayMs: 15 });
      if (text.startsWith('confirm')) {
        if (results.length === 0) return turns.toolCall('execute_bash', { command: 'echo approved-run' });
        return turns.text(`The step said: ${String(results[0]?.content ?? '').slice(0, 80)}`);
      }
      if (text.startsWith('fail')) {
        // The first attempt fails for good (a refused key ends the run), the retry works.
        hasFailed = !hasFailed;
        return hasFailed ? turns.error(401, 'Incorrect API key provided') : turns.text('Recovered.');
      }
      return turns.text(`echo: ${text}`);
    },
  });
  agentId = await stack.agent('helper');
  confirmingAgentId = await stack.agent('careful', { confirmation_mode: true });
}, 120_000);
afterEach(async () => {
  // A failed test leaves its page open: close it, so that no stream of it counts in the next test.
  for (const context of stack?.browser.contexts() ?? []) await context.close();
});
afterAll(async () => {
  await stack?.close();
});

const inlinePage = (name: string, extra: Record<string, string | undefined> = {}) =>
  stack.host.page(name, { attributes: { server: stack.server.url, agent: agentId, token: stack.token, mode: 'inline', ...extra } });

const widgetEvents = (page: Page) =>
  page.evaluate(() => (window as unknown as { __events: Array<{ type: string; conversationId?: string; state?: string; code?: string }> }).__events);

/** Types into the composer and sends. */
async function send(page: Page, text: string) {
  const input = page.locator('metis-chat#chat textarea');
  await input.fill(text);
  await input.press('Enter');
}

/** The conversation the widget shows (from its `metis-conversation-change` event). */
const conversationOf = (page: Page) =>
  eventually(async () => (await widgetEvents(page)).findLast((event) => event.type === 'metis-conversation-change')?.conversationId, 10_000, 'a conversation');

/** Waits for the `count`-th run of the page's conversation to end (its `metis-run-end`), then for the server to agree. */
async function runEnded(page: Page, conversationId: string, count = 1) {
  await eventually(async () => (await widgetEvents(page)).filter((event) => event.type === 'metis-run-end').length >= count, 30_000, `run end #${count}`);
  await eventually(async () => (await stack.client.conversations.get(conversationId)).state !== 'running', 10_000, 'the server to agree');
}

/** The text of the last assistant message (its rendered markdown). */
const lastAnswer = (page: Page) =>
  page
    .locator('metis-chat#chat [part~="message-assistant"] .markdown')
    .last()
    .innerText({ timeout: 1_000 })
    .catch(() => '');

/** The widget shows the server's transcript: every stored item once, in order. */
async function expectServerTranscript(page: Page, conversationId: string) {
  const events = await stack.events(conversationId);
  const expected = expectedSeqs(events);
  await eventually(
    async () => JSON.stringify((await shownItems(page)).map((item) => item.seq)) === JSON.stringify(expected),
    10_000,
    `items ${expected.join(',')}`,
  );
  const shown = await shownItems(page);
  for (const event of events) {
    if (event.type !== 'message' || event.content === '') continue;
    const item = shown.find((candidate) => candidate.seq === event.seq);
    expect(item?.text.replace(/\s+/g, ' ')).toContain(event.content.replace(/\*\*/g, '').split('\n')[0]!.trim());
  }
}

describe.skipIf(!hasChromium)('<metis-chat> in owner mode', () => {
  test('a message streams its answer (markdown) and the transcript equals the server’s; the conversation survives a reload', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(inlinePage('basic'));
    await send(page, 'hello there');
    const answer = page.locator('metis-chat [part~="message-assistant"]').last();
    const seen = new Set<string>();
    await eventually(
      async () => {
        const text = await lastAnswer(page);
        seen.add(text);
        return text.includes('A second paragraph, streamed in pieces.');
      },
      20_000,
      'the answer',
    );
    // It grew in pieces, in place.
    expect(seen.size).toBeGreaterThan(2);
    expect(await answer.locator('strong').innerText()).toBe('the agent');
    const conversationId = await conversationOf(page);
    await runEnded(page, conversationId);
    await expectServerTranscript(page, conversationId);
    const types = (await widgetEvents(page)).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['metis-ready', 'metis-run-start', 'metis-message', 'metis-run-end']));

    await page.reload();
    await expectServerTranscript(page, conversationId);
    expect((await widgetEvents(page)).find((event) => event.type === 'metis-ready')?.conversationId).toBe(conversationId);
    await context.close();
  });

  test('while a message streams, its finished blocks are never re-rendered', async () => {
    const { page } = await stack.newPage();
    await page.goto(inlinePage('blocks'));
    await send(page, 'blocks please');
    await eventually(async () => (await lastAnswer(page)).includes('Sentence 1 '), 20_000, 'the second paragraph');
    // From now on, record every change to the first paragraph (its text, children and attributes).
    await page.evaluate(() => {
      const root = document.querySelector('metis-chat')!.shadowRoot!;
      const first = root.querySelector('[part~="message-assistant"] .markdown > p')!;
      const records: string[] = [];
      new MutationObserver((mutations) => records.push(...mutations.map((mutation) => mutation.type))).observe(first, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
      (window as unknown as { __first: { node: Element; records: string[] } }).__first = { node: first, records };
    });
    await eventually(async () => (await lastAnswer(page)).includes(`Sentence ${SENTENCES} of a long answer.`), 20_000, 'the whole answer');
    const conversationId = await conversationOf(page);
    await runEnded(page, conversationId);
    const first = await page.evaluate(() => {
      const { node, records } = (window as unknown as { __first: { node: Element; records: string[] } }).__first;
      const root = document.querySelector('metis-chat')!.shadowRoot!;
      return { records, isSameNode: root.querySelector('[part~="message-assistant"] .markdown > p') === node, text: node.textContent };
    });
    expect(first).toEqual({ records: [], isSameNode: true, text: 'First paragraph, finished early.' });
  });

  test('a command’s live output grows, then shows its exit code and duration, identical after a reload', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(inlinePage('count'));
    await send(page, 'count to 200');
    const step = page.locator('metis-chat [part~="tool-step"]').first();
    const output = step.locator('[part~="tool-output"]');
    const lengths: number[] = [];
    await eventually(
      async () => {
        const text = await output.textContent().catch(() => '');
        if (text) lengths.push(text.length);
        return (await step.getAttribute('class'))?.includes('running') === false;
      },
      30_000,
      'the command to end',
    );
    // Live: several partial outputs, growing, before the observation.
    const partial = [...new Set(lengths)].filter((length) => length < lengths.at(-1)!);
    expect(partial.length).toBeGreaterThan(1);
    expect(partial).toEqual([...partial].sort((a, b) => a - b));
    const final = await output.textContent();
    const numbers = final!.split('\n').filter((line) => /^\d+$/.test(line));
    expect(numbers).toEqual(Array.from({ length: 200 }, (_, index) => String(index + 1)));
    expect(final).toContain('[The command completed with exit code 0.]');
    expect(await step.locator('.tool-meta').innerText()).toMatch(/^exit 0 · \d+\.\d s$/);
    expect(await step.locator('.tool-title').innerText()).toBe('for i in $(seq 1 200); do echo $i; sleep 0.01; done');
    const conversationId = await conversationOf(page);
    await runEnded(page, conversationId);
    await expectServerTranscript(page, conversationId);
    const before = await step.innerText();
    const beforeOutput = await output.textContent();
    await page.reload();
    await expectServerTranscript(page, conversationId);
    expect(await step.innerText()).toBe(before);
    expect(await output.textContent()).toBe(beforeOutput);
    await context.close();
  });

  test('an edit shows as a diff', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(inlinePage('edit'));
    await send(page, 'edit the notes');
    const conversationId = await conversationOf(page);
    await runEnded(page, conversationId);
    await expectServerTranscript(page, conversationId);
    const steps = page.locator('metis-chat [part~="tool-step"]');
    expect(await steps.count()).toBe(2);
    const replace = steps.nth(1);
    await replace.locator('summary').click();
    const diff = replace.locator('[part~="diff"]');
    expect(await diff.locator('.del').allTextContents()).toEqual(['-two\n']);
    expect(await diff.locator('.add').allTextContents()).toEqual(['+three\n']);
    expect(await replace.locator('.tool-title').innerText()).toMatch(/^str_replace .*notes\.txt$/);
    await context.close();
  });

  test('stop ends the run: no more text arrives, and what is shown is what was stored', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(inlinePage('stop'));
    await send(page, 'slow answer please');
    const answer = page.locator('metis-chat [part~="message-assistant"]').last();
    await eventually(async () => (await lastAnswer(page)).includes('Sentence 3 '), 20_000, 'some text');
    await page.locator('metis-chat [part~="stop-button"]').click();
    const conversationId = await conversationOf(page);
    await eventually(async () => (await stack.client.conversations.get(conversationId)).state === 'stopped', 10_000, 'stopped');
    await eventually(async () => (await page.locator('metis-chat [part~="status"]').innerText()).includes('Stopped'), 5_000, 'the stopped line');
    const shown = await lastAnswer(page);
    await page.waitForTimeout(700); // the answer would have grown by ~10 pieces meanwhile
    expect(await lastAnswer(page)).toBe(shown);
    const stored = (await stack.events(conversationId)).findLast((event) => event.type === 'message' && event.role === 'assistant');
    expect(stored?.type === 'message' && stored.finish_reason).toBe('user_stop');
    expect(shown.trim()).toBe(stored?.type === 'message' ? stored.content.trim() : '');
    expect(shown).not.toContain(`Sentence ${SENTENCES} `);
    await expectServerTranscript(page, conversationId);
    await context.close();
  });

  test('a reload mid-answer: the answer appears once stored, nothing duplicated, missing or out of order', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(inlinePage('reload'));
    await send(page, 'slow answer after reload');
    const answer = page.locator('metis-chat [part~="message-assistant"]').last();
    await eventually(async () => (await lastAnswer(page)).includes('Sentence 5 '), 20_000, 'some text');
    const conversationId = await conversationOf(page);
    await page.reload();
    // Whatever shows before the message is stored is the answer from its beginning (the server's catch-up), never a
    // piece picked up mid-stream.
    const texts = new Set<string>();
    await eventually(
      async () => {
        const items = await shownItems(page);
        const streaming = await page.locator('metis-chat .message.assistant .markdown').allInnerTexts();
        for (const text of streaming) texts.add(text.trim());
        return (await stack.client.conversations.get(conversationId)).state === 'idle' && items.length > 1;
      },
      30_000,
      'the run to end',
    );
    for (const text of texts) expect(SLOW_ANSWER.startsWith(text.replace(/\s+/g, ' ')) && (text === '' || text.startsWith('Sentence 1 '))).toBe(true);
    await expectServerTranscript(page, conversationId);
    expect((await shownItems(page)).filter((item) => item.part.includes('message-assistant'))).toHaveLength(1);
    await context.close();
  });

  test('offline closes the stream on the server; online resumes it and the transcript catches up', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(inlinePage('offline'));
    await send(page, 'slow answer while offline');
    const answer = page.locator('metis-chat [part~="message-assistant"]').last();
    await eventually(async () => (await lastAnswer(page)).includes('Sentence 2 '), 20_000, 'some text');
    // Counted for this conversation only: earlier tests' closed pages end their streams on the server in their own time.
    const conversationId = await conversationOf(page);
    const streams = () => stack.server.events.subscribersOf(conversationId);
    expect(streams()).toBe(1);
    await context.setOffline(true);
    await eventually(() => streams() === 0, 10_000, 'the server to see the stream close');
    await eventually(async () => (await page.locator('metis-chat [part~="status"]').innerText()).includes('offline'), 5_000, 'the offline line');
    await eventually(async () => (await stack.client.conversations.get(conversationId)).state === 'idle', 30_000, 'the run to end offline');
    await context.setOffline(false);
    await eventually(() => streams() === 1, 10_000, 'the stream to reopen');
    await expectServerTranscript(page, conversationId);
    await context.close();
  });

  test('a page frozen and resumed (DevTools protocol) catches up', async () => {
    // Headless Chromium freezes the page's tasks without dispatching `freeze`/`resume` (a phone's browser does, and
    // the widget then closes and reopens its stream): either way the events stored meanwhile must show, once each.
    const { context, page } = await stack.newPage();
    await page.goto(inlinePage('freeze'));
    await send(page, 'slow answer while frozen');
    const answer = page.locator('metis-chat [part~="message-assistant"]').last();
    await eventually(async () => (await lastAnswer(page)).includes('Sentence 2 '), 20_000, 'some text');
    const conversationId = await conversationOf(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    await eventually(async () => (await stack.client.conversations.get(conversationId)).state === 'idle', 30_000, 'the run to end while frozen');
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    await expectServerTranscript(page, conversationId);
    expect(await lastAnswer(page)).toContain(`Sentence ${SENTENCES} of a long answer.`);
    await context.close();
  });

  test('approve with Enter, reject with Escape', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(inlinePage('confirm', { agent: confirmingAgentId }));
    await send(page, 'confirm this step');
    const approve = page.locator('metis-chat [part~="approve-button"]');
    await eventually(async () => approve.isVisible(), 20_000, 'the approval prompt');
    expect(await page.locator('metis-chat [part~="approval"]').innerText()).toContain('echo approved-run');
    await eventually(async () => page.evaluate(() => document.querySelector('metis-chat')?.shadowRoot?.activeElement?.getAttribute('part')), 5_000, 'focus');
    await page.keyboard.press('Enter');
    const conversationId = await conversationOf(page);
    await runEnded(page, conversationId, 2);
    await eventually(async () => (await lastAnswer(page)).includes('approved-run'), 5_000, 'the answer');

    await send(page, 'confirm again');
    await eventually(async () => approve.isVisible(), 20_000, 'the second prompt');
    await eventually(
      async () => page.evaluate(() => document.querySelector('metis-chat')?.shadowRoot?.activeElement?.getAttribute('part') === 'approve-button'),
      5_000,
      'focus',
    );
    await page.keyboard.press('Escape');
    await runEnded(page, conversationId, 4);
    const events = await stack.events(conversationId);
    expect(events.filter((event) => event.type === 'state' && event.reason === 'user_reject')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'state' && event.reason === 'user_approve')).toHaveLength(1);
    await expectServerTranscript(page, conversationId);
    await context.close();
  });

  test('a failed run shows an alert whose retry resends the last message', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(inlinePage('retry'));
    await send(page, 'fail please');
    const alert = page.locator('metis-chat [role="alert"]');
    await eventually(async () => (await alert.innerText().catch(() => '')).includes('refused the agent’s credentials'), 20_000, 'the alert');
    expect(await alert.getAttribute('data-code')).toBe('llm_auth');
    await page.locator('metis-chat [part~="retry-button"]').click();
    const conversationId = await conversationOf(page);
    await eventually(async () => (await lastAnswer(page)) === 'Recovered.', 20_000, 'the retry');
    const users = (await stack.events(conversationId)).filter((event) => event.type === 'message' && event.role === 'user');
    expect(users.map((event) => event.type === 'message' && event.content)).toEqual(['fail please', 'fail please']);
    expect(await alert.count()).toBe(0);
    await context.close();
  });
});

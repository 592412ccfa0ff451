import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { turns } from '@metisai/scripted-llm';
import Docker from 'dockerode';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  eventually,
  expectedSeqs,
  hasChromium,
  lastUserText,
  OUTPUT_DIR,
  shownItems,
  startStack,
  toolResultsOf,
  workdirOf,
  type Stack,
} from '../support/harness.ts';
import { removeSandboxNetwork } from '../../../sandbox/src/docker/sandbox-network.ts';
// The sandbox package's policy: no engine → the local driver here (a notice); CI set and no engine → a failure.
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';

// Visitor mode: a page on another origin embeds an agent with its publishable key. The widget mints a visitor
// session for the page's origin (POST /embed/sessions), talks to /api/v1/embed/… only, resumes with the server's
// catch-up, re-mints silently when the key's policy changes, and shows its error state on an origin the key does
// not allow. Visitors' sandboxes run on Docker where an engine answers, under the embed policy's defaults (no network,
// no secrets); without one, on the local driver acknowledged as unsafe, with the visitors' network `egress` (it cannot
// cut the network).

const SENTENCES = 30;
const SLOW_ANSWER = Array.from({ length: SENTENCES }, (_, index) => `Sentence ${index + 1} of a long answer.`).join(' ');

let stack: Stack;
let agentId: string;
let publishableKey: { id: string; key: string };
let confirmingAgentId: string;
let confirmingKey: string;

const IMAGE = 'metisai/sandbox:latest';
const NETWORK = `metisai-test-${randomBytes(4).toString('hex')}`;
const SANDBOXES: Record<string, string> = hasDocker
  ? { SANDBOX_DRIVER: 'docker', SANDBOX_IMAGE: IMAGE, SANDBOX_NETWORK: NETWORK }
  : { SANDBOX_DRIVER: 'local', ALLOW_UNSAFE_LOCAL_SANDBOX: 'true' };

const EMBED = (extra: Record<string, unknown> = {}) => ({
  embed: {
    enabled: true,
    policy: { ...(hasDocker ? {} : { network: 'egress' }), quotas: { agent_sandboxes: 50, visitor_sandboxes: 5 } },
  },
  ...extra,
});

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startStack({
    env: { ...SANDBOXES, RATE_LIMIT_EMBED_VISITORS_PER_IP: '10000', QUOTA_MAX_EMBED_SANDBOXES_PER_AGENT: '100' },
    script: (request) => {
      const text = lastUserText(request);
      const results = toolResultsOf(request);
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
      if (text.startsWith('confirm')) {
        if (results.length === 0) return turns.toolCall('execute_bash', { command: 'echo approved-run' });
        return turns.text(`The step said: ${String(results[0]?.content ?? '').slice(0, 80)}`);
      }
      return turns.text(`echo: ${text}`);
    },
  });
  agentId = await stack.agent('visitors', EMBED());
  publishableKey = await stack.client.agents.publishableKeys.create(agentId, { allowed_origins: [stack.host.origin] });
  confirmingAgentId = await stack.agent('careful', EMBED({ confirmation_mode: true }));
  confirmingKey = (await stack.client.agents.publishableKeys.create(confirmingAgentId, { allowed_origins: [stack.host.origin] })).key;
}, 180_000);
afterEach(async () => {
  for (const context of stack?.browser.contexts() ?? []) await context.close();
});
afterAll(async () => {
  await stack?.close();
  if (!hasDocker || !agentId) return;
  // The visitors' sandboxes of this file's agents, then its network.
  const docker = new Docker();
  for (const agent of [agentId, confirmingAgentId]) {
    const containers = await docker.listContainers({ all: true, filters: { label: [`metisai.embed.agent=${agent}`] } });
    for (const container of containers) {
      await docker
        .getContainer(container.Id)
        .remove({ force: true, v: true })
        .catch(() => {});
      for (const mount of container.Mounts)
        if (mount.Name)
          await docker
            .getVolume(mount.Name)
            .remove()
            .catch(() => {});
    }
  }
  await removeSandboxNetwork(docker, NETWORK, IMAGE);
}, 60_000);

const visitorPage = (name: string, extra: Record<string, string | undefined> = {}) =>
  stack.host.page(name, { attributes: { server: stack.server.url, agent: agentId, 'publishable-key': publishableKey.key, mode: 'inline', ...extra } });

type WidgetEvent = { type: string; conversationId?: string; state?: string; code?: string };
const widgetEvents = (page: Page) => page.evaluate(() => (window as unknown as { __events: WidgetEvent[] }).__events);
const errorEvents = async (page: Page) => (await widgetEvents(page)).filter((event) => event.type === 'metis-error');
const ready = (page: Page) => eventually(async () => (await widgetEvents(page)).some((event) => event.type === 'metis-ready'), 15_000, 'ready');

async function send(page: Page, text: string) {
  const input = page.locator('metis-chat#chat textarea');
  await input.fill(text);
  await input.press('Enter');
}

const conversationOf = (page: Page) =>
  eventually(async () => (await widgetEvents(page)).findLast((event) => event.type === 'metis-conversation-change')?.conversationId, 10_000, 'a conversation');

async function runEnded(page: Page, conversationId: string, count = 1) {
  await eventually(async () => (await widgetEvents(page)).filter((event) => event.type === 'metis-run-end').length >= count, 30_000, `run end #${count}`);
  await eventually(async () => (await stack.client.conversations.get(conversationId)).state !== 'running', 10_000, 'the server to agree');
}

const lastAnswer = (page: Page) =>
  page
    .locator('metis-chat#chat [part~="message-assistant"] .markdown')
    .last()
    .innerText({ timeout: 1_000 })
    .catch(() => '');

/** The widget shows the server's transcript (read by the owner): every stored item once, in order. */
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
    expect(shown.find((item) => item.seq === event.seq)?.text).toContain(event.content.split('\n')[0]!.trim());
  }
}

/** The visitor the page keeps (its id), from the page's localStorage. */
const keptVisitorId = (page: Page) =>
  page.evaluate(() => {
    const key = Object.keys(localStorage).find((name) => name.startsWith('metis-chat:v1:visitor:'));
    return key ? (JSON.parse(localStorage.getItem(key)!) as { id: string }).id : undefined;
  });

describe.skipIf(!hasChromium)('<metis-chat> in visitor mode (publishable-key)', () => {
  test('a visitor sees a command’s output grow and an edit’s diff; stop ends the run; only /embed routes are used', async () => {
    const { context, page } = await stack.newPage();
    const apiPaths = new Set<string>();
    const origins = new Set<string>();
    page.on('request', (request) => {
      const url = new URL(request.url());
      origins.add(url.origin);
      if (url.pathname.startsWith('/api/')) apiPaths.add(`${request.method()} ${url.pathname.replace(/[0-9a-f-]{36}/g, ':id')}`);
    });
    await page.goto(visitorPage('visitor-steps'));
    await ready(page);
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
    const partial = [...new Set(lengths)].filter((length) => length < lengths.at(-1)!);
    expect(partial.length).toBeGreaterThan(1);
    const conversationId = await conversationOf(page);
    await runEnded(page, conversationId);

    await send(page, 'edit the notes');
    await runEnded(page, conversationId, 2);
    const replace = page.locator('metis-chat [part~="tool-step"]').nth(2);
    await replace.locator('summary').click();
    expect(await replace.locator('[part~="diff"] .del').allTextContents()).toEqual(['-two\n']);
    expect(await replace.locator('[part~="diff"] .add').allTextContents()).toEqual(['+three\n']);

    await send(page, 'slow answer please');
    await eventually(async () => (await lastAnswer(page)).includes('Sentence 3 '), 20_000, 'some text');
    await page.locator('metis-chat [part~="stop-button"]').click();
    await eventually(async () => (await stack.client.conversations.get(conversationId)).state === 'stopped', 10_000, 'stopped');
    const shown = await lastAnswer(page);
    await page.waitForTimeout(700); // the answer would have grown by ~10 pieces meanwhile
    expect(await lastAnswer(page)).toBe(shown);
    expect(shown).not.toContain(`Sentence ${SENTENCES} `);
    await expectServerTranscript(page, conversationId);

    // The owner sees the visitor's conversation, under the visitor the page keeps.
    const visitorId = await keptVisitorId(page);
    expect(visitorId).toBeTruthy();
    const owned = await stack.client.conversations.list({ agent_id: agentId, visitor_id: visitorId });
    expect(owned.data.map((conversation) => conversation.id)).toEqual([conversationId]);
    // Sessions and the visitor's conversation routes only: never an owner route.
    expect([...apiPaths].every((entry) => / \/api\/v1\/embed\//.test(entry))).toBe(true);
    expect(apiPaths).toContain('POST /api/v1/embed/sessions');
    // Under the host page's strict CSP: no violation, and no request but to the page and the MetisAI origin.
    expect(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)).toEqual([]);
    expect([...origins].sort()).toEqual([stack.host.origin, stack.server.url].sort());
    expect(await errorEvents(page)).toEqual([]);
    await context.close();
  });

  test('a reload mid-answer shows the text so far at once (catch-up), then the server’s transcript, nothing duplicated', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(visitorPage('visitor-reload'));
    await ready(page);
    await send(page, 'slow answer after reload');
    await eventually(async () => (await lastAnswer(page)).includes('Sentence 5 '), 20_000, 'some text');
    const conversationId = await conversationOf(page);
    const visitorId = await keptVisitorId(page);
    await page.reload();
    // Before the run ends, the reloaded page already shows the answer from its beginning, and it grows.
    const seen: string[] = [];
    await eventually(
      async () => {
        const text = (await page.locator('metis-chat .message.assistant .markdown').allInnerTexts()).join('').replace(/\s+/g, ' ').trim();
        if (text) seen.push(text);
        return (await stack.client.conversations.get(conversationId)).state === 'idle';
      },
      30_000,
      'the run to end',
    );
    const whileRunning = seen.filter((text) => text !== SLOW_ANSWER);
    expect(whileRunning.length).toBeGreaterThan(0);
    expect(whileRunning[0]).toMatch(/^Sentence 1 of a long answer\. .*Sentence 5 /);
    for (const text of seen) expect(SLOW_ANSWER.startsWith(text)).toBe(true);
    await expectServerTranscript(page, conversationId);
    expect((await shownItems(page)).filter((item) => item.part.includes('message-assistant'))).toHaveLength(1);
    expect(await lastAnswer(page)).toContain(`Sentence ${SENTENCES} of a long answer.`);
    // The same visitor after the reload (its resume key kept), in the same conversation.
    expect(await keptVisitorId(page)).toBe(visitorId);
    await context.close();
  });

  test('offline closes the stream on the server; online resumes it and the transcript catches up', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(visitorPage('visitor-offline'));
    await ready(page);
    await send(page, 'slow answer while offline');
    await eventually(async () => (await lastAnswer(page)).includes('Sentence 2 '), 20_000, 'some text');
    expect(stack.server.events.subscriberCount).toBe(1);
    await context.setOffline(true);
    await eventually(() => stack.server.events.subscriberCount === 0, 10_000, 'the server to see the stream close');
    const conversationId = await conversationOf(page);
    // Back online while the answer still streams: the catch-up fills in what was missed, then it goes on live.
    await eventually(async () => (await lastAnswer(page)).length > 0, 1_000, 'the partial answer kept');
    await context.setOffline(false);
    await eventually(() => stack.server.events.subscriberCount === 1, 10_000, 'the stream to reopen');
    await eventually(async () => (await stack.client.conversations.get(conversationId)).state === 'idle', 30_000, 'the run to end');
    await expectServerTranscript(page, conversationId);
    expect(await lastAnswer(page)).toContain(`Sentence ${SENTENCES} of a long answer.`);
    expect(await errorEvents(page)).toEqual([]);
    await context.close();
  });

  test('a page frozen and resumed (DevTools protocol) catches up', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(visitorPage('visitor-freeze'));
    await ready(page);
    await send(page, 'slow answer while frozen');
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

  test('a visitor sees “waiting for the owner’s approval” and no approve button; the owner approves', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(visitorPage('visitor-confirm', { agent: confirmingAgentId, 'publishable-key': confirmingKey }));
    await ready(page);
    await send(page, 'confirm this step');
    const conversationId = await conversationOf(page);
    await eventually(async () => (await stack.client.conversations.get(conversationId)).state === 'awaiting_confirmation', 20_000, 'awaiting');
    const status = page.locator('metis-chat [part~="status"]');
    await eventually(async () => (await status.innerText()).includes('Waiting for the owner’s approval'), 5_000, 'the waiting line');
    expect(await page.locator('metis-chat [part~="approve-button"]').count()).toBe(0);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'visitor-awaiting-approval.png') });
    await stack.client.conversations.confirm(conversationId, { approve: true });
    await runEnded(page, conversationId, 2);
    await eventually(async () => (await lastAnswer(page)).includes('approved-run'), 10_000, 'the answer');
    expect(await errorEvents(page)).toEqual([]);
    await context.close();
  });

  test('on an origin the key does not allow, the widget shows its error state', async () => {
    const other = await stack.client.agents.publishableKeys.create(agentId, { allowed_origins: ['https://shop.example.com'] });
    const { context, page } = await stack.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    let sessionRequests = 0;
    page.on('request', (request) => {
      if (request.url().endsWith('/embed/sessions')) sessionRequests += 1;
    });
    await page.goto(visitorPage('visitor-wrong-origin', { 'publishable-key': other.key }));
    // The server refuses (403 origin_not_allowed) without CORS headers: the page cannot read why, only that it failed.
    const alert = page.locator('metis-chat [part~="error"][role="alert"]');
    await eventually(async () => (await alert.getAttribute('data-code').catch(() => null)) === 'visitor_session_failed', 20_000, 'the error state');
    expect(sessionRequests).toBeGreaterThan(0);
    // What the server answered, asked with the page's Origin:
    const refusal = await fetch(`${stack.server.url}/api/v1/embed/sessions`, {
      method: 'POST',
      headers: { origin: stack.host.origin, 'content-type': 'application/json' },
      body: JSON.stringify({ publishable_key: other.key }),
    });
    expect(refusal.status).toBe(403);
    expect(((await refusal.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
    expect(refusal.headers.get('access-control-allow-origin')).toBeNull();
    expect(await alert.innerText()).toBe('This chat could not start on this website: the server is unreachable or does not allow this site.');
    expect(await page.locator('metis-chat textarea').count()).toBe(0);
    expect((await errorEvents(page)).map((event) => event.code)).toEqual(['visitor_session_failed']);
    expect(consoleErrors.some((text) => text.includes(`does not allow this page's origin (${stack.host.origin})`))).toBe(true);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'visitor-origin-not-allowed.png') });
    await stack.client.agents.publishableKeys.delete(agentId, other.id);
    await context.close();
  });

  test('a policy change and a rotated key: the page re-mints silently, as the same visitor, in the same conversation', async () => {
    const { context, page } = await stack.newPage();
    await page.goto(visitorPage('visitor-rotate', { 'publishable-key': publishableKey.key }));
    await ready(page);
    await send(page, 'first message');
    const conversationId = await conversationOf(page);
    await runEnded(page, conversationId);
    const visitorId = await keptVisitorId(page);
    await eventually(() => stack.server.events.subscriberCount === 1, 10_000, 'the open stream');
    const minted = () => page.evaluate(() => performance.getEntriesByType('resource').filter((entry) => entry.name.endsWith('/embed/sessions')).length);
    const mintedBefore = await minted();

    // The key's origins change: the token goes stale and the stream ends (token_stale); the widget mints anew.
    await stack.client.agents.publishableKeys.update(agentId, publishableKey.id, { allowed_origins: [stack.host.origin, 'https://shop.example.com'] });
    await eventually(async () => (await minted()) > mintedBefore, 15_000, 'a new session');
    await eventually(() => stack.server.events.subscriberCount === 1, 15_000, 'the stream to reopen');
    await send(page, 'second message');
    await runEnded(page, conversationId, 2);

    // The key is rotated: the page gets the new value (as a reload of the site would) and goes on as the same visitor.
    publishableKey = await stack.client.agents.publishableKeys.rotate(agentId, publishableKey.id);
    await page.evaluate((key) => document.querySelector('metis-chat')!.setAttribute('publishable-key', key), publishableKey.key);
    await eventually(async () => (await shownItems(page)).length >= 4, 15_000, 'the conversation reopened');
    await send(page, 'third message');
    await runEnded(page, conversationId, 3);
    expect(await keptVisitorId(page)).toBe(visitorId);
    const users = (await stack.events(conversationId)).filter((event) => event.type === 'message' && event.role === 'user');
    expect(users.map((event) => event.type === 'message' && event.content)).toEqual(['first message', 'second message', 'third message']);
    await expectServerTranscript(page, conversationId);
    // Nothing was shown: no error event, no alert.
    expect(await errorEvents(page)).toEqual([]);
    expect(await page.locator('metis-chat [role="alert"]').count()).toBe(0);
    await context.close();
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { turns } from '@metisai/scripted-llm';
import type { MetisClient } from '@metisai/sdk';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startGitServer, type GitServer } from '../../../server/test/support/git-server.ts';
import {
  inPage,
  CONSOLE_OUTPUT_DIR,
  eventually,
  hasChromium,
  headingState,
  lastUserText,
  startConsoleStack,
  toolResultsOf,
  violations,
  type ConsoleStack,
} from '../support/console-harness.ts';
import { strictCsp } from '../support/harness.ts';

// The console's Embed tab end to end (keys, policy, the copied snippet pasted into a page of another origin whose
// visitor then appears in the owner's lists with its steps, the live preview), the conversations list's visitor
// filter, and new conversations started from a git repository served by the test (clone progress, ready, failed).

let stack: ConsoleStack;
let git: GitServer;
let privateGit: GitServer;
let hostServer: Server;
let hostOrigin = '';
/** The HTML the host page serves in its body (the snippet, pasted). */
let hostBody = '';

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startConsoleStack({
    // Embedding on the local driver needs the explicit switch (no isolation: tests only).
    env: { ALLOW_UNSAFE_LOCAL_SANDBOX: 'true', RATE_LIMIT_EMBED_VISITORS_PER_IP: '10000' },
    script: (request) => {
      const text = lastUserText(request);
      const results = toolResultsOf(request);
      if (text.startsWith('visitor')) {
        if (results.length === 0) return turns.toolCall('execute_bash', { command: 'echo visitor-step-output' });
        return turns.text('Hello, visitor: the step ran.');
      }
      if (text.startsWith('read')) {
        if (results.length === 0) return turns.toolCall('execute_bash', { command: 'cat README.md' });
        return turns.text(`The readme says: ${String(results[0]?.content ?? '').trim()}`);
      }
      return turns.text(`echo: ${text}`);
    },
  });
  git = await startGitServer();
  privateGit = await startGitServer({ auth: { password: 'git-token-value' } });
  hostServer = createServer((request, response) => {
    if (request.url !== '/') {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': strictCsp(stack.server.url) })
      .end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A shop</title></head><body><h1>A shop</h1>\n${hostBody}\n</body></html>`);
  });
  await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
  hostOrigin = `http://127.0.0.1:${(hostServer.address() as AddressInfo).port}`;
}, 180_000);
afterEach(async () => {
  for (const context of stack?.browser.contexts() ?? []) await context.close();
});
afterAll(async () => {
  hostServer?.closeAllConnections();
  hostServer?.close();
  await git?.close();
  await privateGit?.close();
  await stack?.close();
});

/** An element inside the console's current page (Playwright's CSS pierces open shadow roots). */

async function settledOn(page: Page, heading: string) {
  await expect.poll(() => headingState(page), { timeout: 20_000 }).toMatchObject({ text: heading, isFocused: true });
}

describe.skipIf(!hasChromium)('the Embed tab', () => {
  test('keys, policy and quotas with field errors; the copied snippet works on another origin; the visitor shows in the owner’s lists with its steps; the preview', async () => {
    const owner = await stack.apiUser('embed');
    const agentId = await stack.runningAgent(owner.client, 'Greeter');
    const { context, page, errors } = await stack.newPage({ token: owner.token });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.server.url });

    // Reached from the agent's page.
    await page.goto(`${stack.server.url}/agents/${agentId}`);
    await settledOn(page, 'Greeter');
    await inPage(page, '[data-tab="embed"]').click();
    await page.waitForURL(`${stack.server.url}/agents/${agentId}/embed`);
    await settledOn(page, 'Greeter');
    expect(await page.title()).toBe('Embed · Greeter · MetisAI');
    expect(await inPage(page, '[data-tab="embed"]').getAttribute('aria-current')).toBe('page');
    expect(await inPage(page, '[data-empty="keys"]').count()).toBe(1);
    expect(await inPage(page, '[data-snippet]').count()).toBe(0);

    // A key: an origin browsers never send is refused next to the field; then the host page's origin.
    await inPage(page, '#new-key-origins').fill('http://shop.example.com');
    await inPage(page, '[data-action="create-key"]').click();
    await expect.poll(() => inPage(page, '[data-field-error="allowed_origins"]').count()).toBe(1);
    expect(await inPage(page, '#new-key-origins').getAttribute('aria-invalid')).toBe('true');
    expect(await stack.axe(page), 'the Embed tab with a field error').toEqual([]);
    await inPage(page, '#new-key-origins').fill(`${hostOrigin}\n`);
    await inPage(page, '[data-action="create-key"]').click();
    await expect.poll(() => inPage(page, 'tr[data-key]').count()).toBe(1);
    expect(await inPage(page, '[data-field-error="allowed_origins"]').count()).toBe(0);
    const [key] = (await owner.client.agents.publishableKeys.list(agentId)).data;
    expect(key!.allowed_origins).toEqual([hostOrigin]);
    // Embedding is still off: the snippet says so.
    expect(await inPage(page, '[data-embed-off]').count()).toBe(1);

    // The policy: a quota out of range is refused next to its field; embedding on, the visitors' network open.
    await inPage(page, 'form[data-form="embed"] [data-field="enabled"]').check();
    await inPage(page, '#embed-network').selectOption('egress');
    await inPage(page, '#embed-quota-visitor_messages_per_hour').fill('-1');
    await inPage(page, '#embed-confirmation_timeout_seconds').fill('120');
    await inPage(page, '[data-action="save-embed"]').click();
    await expect.poll(() => inPage(page, '[data-field-error="config.embed.policy.quotas.visitor_messages_per_hour"]').count()).toBe(1);
    expect((await owner.client.agents.get(agentId)).config.embed?.enabled).toBe(false);
    await inPage(page, '#embed-quota-visitor_messages_per_hour').fill('20');
    await inPage(page, '#embed-retention_days').fill('30');
    await inPage(page, '[data-action="save-embed"]').click();
    await expect.poll(() => inPage(page, '.ok[role="status"]').count()).toBe(1);
    expect(await inPage(page, '[data-field-error]').count()).toBe(0);
    const embed = (await owner.client.agents.get(agentId)).config.embed;
    expect(embed).toMatchObject({
      enabled: true,
      retention_days: 30,
      policy: { network: 'egress', confirmation_timeout_seconds: 120, quotas: { visitor_messages_per_hour: 20 } },
    });
    expect(await inPage(page, '[data-embed-off]').count()).toBe(0);

    // Saving the agent's configuration tab keeps the embedding as it is (`PUT` replaces the whole config).
    await inPage(page, '[data-tab="config"]').click();
    await settledOn(page, 'Greeter');
    await inPage(page, 'form[data-form="agent"] button[type="submit"]').click();
    await expect.poll(() => inPage(page, 'form[data-form="agent"] .ok').count()).toBe(1);
    expect((await owner.client.agents.get(agentId)).config.embed).toEqual(embed);
    await inPage(page, '[data-tab="embed"]').click();
    await settledOn(page, 'Greeter');

    // The snippet, copied with the button (read back from the clipboard), is what the page shows.
    const shown = await inPage(page, '[data-snippet]').innerText();
    expect(shown).toContain(`<script src="${stack.server.url}/widget/`);
    expect(shown).toContain(`publishable-key="${key!.key}"`);
    await inPage(page, '[data-action="copy-snippet"]').click();
    await expect.poll(() => inPage(page, '[data-action="copy-snippet"]').innerText()).toBe('Copied');
    const snippet = await page.evaluate(() => navigator.clipboard.readText());
    expect(snippet).toBe(shown);
    await page.screenshot({ path: path.join(CONSOLE_OUTPUT_DIR, 'flow-embed-tab-en-light.png'), fullPage: true });

    // Pasted into a page of another origin (strict CSP): a visitor talks to the agent through the launcher.
    hostBody = snippet;
    const { page: shop } = await stack.newPage();
    const shopErrors: string[] = [];
    shop.on('pageerror', (error) => shopErrors.push(error.message));
    await shop.goto(`${hostOrigin}/`);
    await shop.locator('metis-chat [part~="launcher"]').click();
    const input = shop.locator('metis-chat textarea');
    await input.fill('visitor here: run a step');
    await input.press('Enter');
    await expect.poll(() => shop.locator('metis-chat [part~="message-assistant"]').last().innerText(), { timeout: 30_000 }).toContain('Hello, visitor');
    expect(shopErrors).toEqual([]);
    const [visitorConversation] = (await owner.client.conversations.list({ agent_id: agentId, visitors: 'only' })).data;
    expect(visitorConversation?.visitor_id).toBeTruthy();
    await eventually(async () => (await owner.client.conversations.get(visitorConversation!.id)).state !== 'running', 20_000, 'the visitor’s run to end');

    // The owner sees it on the Embed tab, filters the conversations list by its visitor, and reads its steps.
    await page.reload();
    await settledOn(page, 'Greeter');
    await expect.poll(() => inPage(page, `[data-visitor-conversation="${visitorConversation!.id}"]`).count()).toBe(1);
    await inPage(page, `[data-visitor-conversation] [data-visitor="${visitorConversation!.visitor_id}"]`).click();
    await page.waitForURL((url) => url.pathname === '/conversations' && url.searchParams.get('visitor') === visitorConversation!.visitor_id);
    await settledOn(page, 'Conversations');
    await expect.poll(() => inPage(page, 'tbody tr').count()).toBe(1);
    expect(await inPage(page, '#filter-visitor').inputValue()).toBe(visitorConversation!.visitor_id);
    await inPage(page, `tr[data-conversation="${visitorConversation!.id}"] a[href^="/conversations/"]`).click();
    await page.waitForURL(`${stack.server.url}/conversations/${visitorConversation!.id}`);
    await expect.poll(() => inPage(page, '[part~="tool-step"]').count(), { timeout: 20_000 }).toBe(1);
    expect(await inPage(page, '[part~="tool-step"]').innerText()).toContain('visitor-step-output');
    expect(await inPage(page, '[part~="message-user"]').innerText()).toContain('visitor here');

    // Edit the origins: a second origin; a wrong one is refused next to the field.
    await page.goto(`${stack.server.url}/agents/${agentId}/embed`);
    await settledOn(page, 'Greeter');
    await inPage(page, '[data-action="edit-origins"]').click();
    await inPage(page, '#edit-origins').fill(`${hostOrigin}\nhttps://shop.example.com/`);
    await inPage(page, 'form[data-form="edit-origins"] button[type="submit"]').click();
    await expect.poll(() => inPage(page, '[data-field-error="allowed_origins"]').count()).toBe(1);
    await inPage(page, '#edit-origins').fill(`${hostOrigin}\nhttps://shop.example.com`);
    await inPage(page, 'form[data-form="edit-origins"] button[type="submit"]').click();
    await expect.poll(() => inPage(page, 'tr[data-key] .origins li').count()).toBe(2);
    expect((await owner.client.agents.publishableKeys.list(agentId)).data[0]!.allowed_origins).toEqual([hostOrigin, 'https://shop.example.com']);

    // The live preview: a <metis-chat> run with the owner's token (an owner's conversation, not a visitor's).
    await inPage(page, '[data-action="show-preview"]').click();
    const preview = inPage(page, 'metis-chat[data-preview] textarea');
    await preview.waitFor();
    expect(await stack.axe(page), 'the Embed tab with the preview').toEqual([]);
    await preview.fill('owner preview');
    await preview.press('Enter');
    await expect
      .poll(() => inPage(page, 'metis-chat[data-preview] [part~="message-assistant"]').last().innerText(), { timeout: 30_000 })
      .toContain('echo: owner preview');
    await inPage(page, 'metis-chat[data-preview]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(CONSOLE_OUTPUT_DIR, 'flow-embed-preview-en-light.png') });
    const own = (await owner.client.conversations.list({ agent_id: agentId, visitors: 'none' })).data;
    expect(own, JSON.stringify((await owner.client.conversations.list({})).data)).toHaveLength(1);
    expect(own[0]!.visitor_id ?? null).toBeNull();

    // Rotate: a new value, the snippet follows; revoke: gone, and the snippet needs a key again.
    await inPage(page, '[data-action="rotate"]').click();
    await inPage(page, '[data-action="confirm-key"]').click();
    await expect.poll(() => inPage(page, '[data-key-value]').innerText()).not.toBe(key!.key);
    const rotated = await inPage(page, '[data-key-value]').innerText();
    expect(await inPage(page, '[data-snippet]').innerText()).toContain(`publishable-key="${rotated}"`);
    await inPage(page, '[data-action="revoke"]').click();
    await inPage(page, '[data-action="confirm-key"]').click();
    await expect.poll(() => inPage(page, '[data-empty="keys"]').count()).toBe(1);
    expect(await inPage(page, '[data-snippet]').count()).toBe(0);
    expect((await owner.client.agents.publishableKeys.list(agentId)).data).toEqual([]);
    expect(await violations(page)).toEqual([]);
    expect(errors).toEqual([]);
  }, 180_000);
});

describe.skipIf(!hasChromium)('a new conversation from a git repository', () => {
  let owner: { client: MetisClient; token: string };
  let agentId: string;
  beforeAll(async () => {
    if (!hasChromium) return;
    owner = await stack.apiUser('repository');
    agentId = await stack.runningAgent(owner.client, 'Reader');
    await git.createRepository('demo', { files: { 'README.md': 'Hello from the demo repository\n' } });
    await privateGit.createRepository('secret', { files: { 'README.md': 'Hello from the private repository\n' } });
    await owner.client.secrets.create({ name: 'GIT_TOKEN', value: 'git-token-value' });
  }, 60_000);

  async function openForm(page: Page) {
    await page.goto(`${stack.server.url}/conversations`);
    await settledOn(page, 'Conversations');
    await inPage(page, '[data-action="new-conversation"]').click();
    await expect.poll(() => inPage(page, '#new-dialog').evaluate((dialog) => (dialog as HTMLDialogElement).open)).toBe(true);
  }

  test('the form sends the repository; the clone’s progress, then ready with its commit; the agent reads the files', async () => {
    const { page, errors } = await stack.newPage({ token: owner.token });
    await openForm(page);
    // A URL with credentials is refused next to its field.
    await inPage(page, '#new-url').fill('https://me:token@example.com/repo.git');
    await inPage(page, '[data-action="create-conversation"]').click();
    await expect.poll(() => inPage(page, '[data-field-error="repository.url"]').count()).toBe(1);
    await page.screenshot({ path: path.join(CONSOLE_OUTPUT_DIR, 'flow-new-conversation-en-light.png') });
    expect(await stack.axe(page), 'the new-conversation form with a field error').toEqual([]);
    // A clone that waits: its progress shows until the remote answers, then the same item says it is ready.
    const release = git.hold();
    await inPage(page, '#new-agent_id').selectOption(agentId);
    await inPage(page, '#new-title').fill('Read the demo');
    await inPage(page, '#new-url').fill(git.urlOf('demo'));
    await inPage(page, '#new-depth').fill('1');
    await inPage(page, '[data-action="create-conversation"]').click();
    await page.waitForURL(/\/conversations\/[0-9a-f-]{36}$/);
    const clone = inPage(page, '[part~="workspace-event"]');
    await expect.poll(() => clone.getAttribute('data-phase'), { timeout: 20_000 }).toBe('cloning');
    expect(await clone.innerText()).toContain(`Cloning ${git.urlOf('demo')}`);
    release();
    await expect.poll(() => clone.getAttribute('data-phase'), { timeout: 30_000 }).toBe('ready');
    expect(await clone.count()).toBe(1);
    const id = new URL(page.url()).pathname.split('/').pop()!;
    const conversation = await owner.client.conversations.get(id);
    expect(conversation).toMatchObject({ agent_id: agentId, title: 'Read the demo', repository: { url: git.urlOf('demo'), depth: 1, status: 'ready' } });
    expect(await clone.innerText()).toContain(conversation.repository!.commit!.slice(0, 12));
    expect(await clone.innerText()).toMatch(/\d+ objects, [\d.,]+ (B|KiB)/);
    // The conversation is idle once the workspace is (a state event just after the clone's `ready`): a message sent
    // before that is kept in the field, as while any run goes on.
    await expect.poll(() => inPage(page, '[data-conversation-state]').getAttribute('data-state')).toBe('idle');
    await inPage(page, 'textarea').fill('read the readme');
    await inPage(page, 'textarea').press('Enter');
    await expect
      .poll(() => inPage(page, '[part~="message-assistant"]').last().innerText(), { timeout: 30_000 })
      .toContain('The readme says: Hello from the demo repository');
    await page.screenshot({ path: path.join(CONSOLE_OUTPUT_DIR, 'flow-repository-conversation-en-light.png') });
    expect(errors).toEqual([]);
  }, 120_000);

  test('a private repository with a token picked from the secrets; a missing one fails with the code’s sentence (Chinese too)', async () => {
    const { page } = await stack.newPage({ token: owner.token });
    await openForm(page);
    await inPage(page, '#new-url').fill(privateGit.urlOf('secret'));
    await expect.poll(() => inPage(page, '#new-token_secret option[value="GIT_TOKEN"]').count()).toBe(1);
    await inPage(page, '#new-token_secret').selectOption('GIT_TOKEN');
    await inPage(page, '[data-action="create-conversation"]').click();
    await page.waitForURL(/\/conversations\/[0-9a-f-]{36}$/);
    await expect.poll(() => inPage(page, '[part~="workspace-event"]').getAttribute('data-phase'), { timeout: 30_000 }).toBe('ready');
    expect(privateGit.requests.some((request) => request.hasAuth)).toBe(true);

    await openForm(page);
    await inPage(page, '#new-url').fill(git.urlOf('missing'));
    await inPage(page, '[data-action="create-conversation"]').click();
    await page.waitForURL(/\/conversations\/[0-9a-f-]{36}$/);
    await expect.poll(() => inPage(page, '[part~="workspace-event"]').getAttribute('data-phase'), { timeout: 30_000 }).toBe('failed');
    const failure = inPage(page, '[part~="run-error"][data-code="repository_not_found"]');
    // The translated sentence, then (for the owner) the server's own words naming the field at fault.
    await expect.poll(() => failure.innerText(), { timeout: 20_000 }).toMatch(/^The repository was not found\.\n.*repository\.url: /);
    expect(await failure.locator('.run-error-message').innerText()).toContain(git.urlOf('missing'));
    await page.locator('metis-console header select').first().selectOption('zh');
    await expect.poll(() => failure.innerText()).toMatch(/^找不到该代码仓库。\n.*repository\.url: /);
    expect(await inPage(page, '[part~="workspace-event"]').innerText()).toContain('克隆');
    await page.screenshot({ path: path.join(CONSOLE_OUTPUT_DIR, 'flow-repository-failed-zh-light.png') });
  }, 120_000);
});

import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { turns } from '@metisai/scripted-llm';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer } from '../../../server/test/support/test-server.ts';
import { Files } from '@metisai/sdk/files';
import {
  inPage,
  CONSOLE_OUTPUT_DIR,
  eventually,
  hasChromium,
  headingState,
  lastUserText,
  PASSWORD,
  startConsoleStack,
  toolResultsOf,
  uniqueEmail,
  violations,
  workdirOf,
  type ConsoleStack,
} from '../support/console-harness.ts';

// The console end to end, in Chromium against a real server (embedded Postgres, local sandboxes) and the scripted LLM:
// a new user's first hour, a stopped command, approvals, a reload mid-run, signing out and deleting the account.

const SLOW_ANSWER = Array.from({ length: 40 }, (_, index) => `Sentence ${index + 1} of a slow answer.`).join(' ');

let stack: ConsoleStack;

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startConsoleStack({
    script: (request) => {
      const text = lastUserText(request);
      const results = toolResultsOf(request);
      if (text.startsWith('Reply with: ok')) return turns.text('ok');
      if (text.startsWith('build')) {
        const file = `${workdirOf(request)}/notes.txt`;
        if (results.length === 0)
          return turns.toolCall(
            'execute_bash',
            { command: "printf '\\033[32mcolour works\\033[0m\\n'; sleep 2; echo build-output-42" },
            { content: 'Building **now**.' },
          );
        if (results.length === 1) return turns.toolCall('str_replace_editor', { command: 'create', path: file, file_text: 'first line\nsecond line\n' });
        // Reasoning first (`<think>`, as llama.cpp and Ollama send it: the server splits it off), then the answer.
        return turns.text('<think>The file exists now; say so briefly.</think>Built it: the command printed its output and notes.txt is written.', {
          chunkDelayMs: 10,
        });
      }
      if (text.startsWith('long')) {
        if (results.length === 0) return turns.toolCall('execute_bash', { command: 'for i in $(seq 1 600); do echo tick $i; sleep 0.1; done' });
        return turns.text('The long command ended.');
      }
      if (text.startsWith('careful')) {
        if (results.length === 0) return turns.toolCall('execute_bash', { command: 'echo approved-step' });
        if (results.length === 1) return turns.toolCall('execute_bash', { command: 'echo rejected-step' });
        return turns.text(`Results: ${results.map((result) => String(result.content).slice(0, 60)).join(' | ')}`);
      }
      if (text.startsWith('three commands')) {
        const commands = ['echo alpha-one', 'echo beta-two', 'echo alpha-three'];
        if (results.length < commands.length) return turns.toolCall('execute_bash', { command: commands[results.length]! });
        return turns.text('Three commands ran.');
      }
      if (text.startsWith('versions')) {
        const versions = ['v1', 'v2', 'v3'];
        if (results.length < versions.length) return turns.toolCall('execute_bash', { command: `printf ${versions[results.length]} > app.txt` });
        return turns.text('Three versions written.');
      }
      if (text.startsWith('slow')) return turns.text(SLOW_ANSWER, { chunkDelayMs: 40 });
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

async function register(page: Page, email: string) {
  await page.goto(`${stack.server.url}/`);
  await page.waitForURL('**/login');
  await inPage(page, 'a[href^="/register"]').click();
  await page.waitForURL('**/register');
  await inPage(page, '#email').fill(email);
  await inPage(page, '#password').fill(PASSWORD);
  await inPage(page, 'button[type="submit"]').click();
  await page.waitForURL(`${stack.server.url}/`);
}

/** Sends a message from the conversation view's composer. */
async function send(page: Page, text: string) {
  const input = inPage(page, 'metis-conversation-page textarea');
  await input.fill(text);
  await input.press('Enter');
}

const conversationIdOf = (page: Page) => new URL(page.url()).pathname.split('/').pop()!;

describe.skipIf(!hasChromium)('the console, end to end', () => {
  test('a new user registers, sets the LLM, creates and starts an agent, and runs a task', async () => {
    const { page, errors } = await stack.newPage();
    const email = uniqueEmail('first-hour');
    await register(page, email);
    await expect.poll(() => headingState(page)).toMatchObject({ text: 'Dashboard', isFocused: true, title: 'Dashboard · MetisAI' });
    await expect.poll(() => inPage(page, '[data-checklist] li[data-done="false"]').count()).toBe(4);

    // The LLM: a wrong URL fails the test with the error next to the base URL; the scripted LLM passes.
    await inPage(page, 'a[href="/settings"]').click();
    await page.waitForURL('**/settings/llm');
    await inPage(page, '#preset').selectOption('custom');
    await inPage(page, '#llm_base_url').fill('http://127.0.0.1:9/v1');
    await inPage(page, '#llm_model').fill('scripted');
    await inPage(page, '[data-action="test-llm"]').click();
    const baseUrlError = inPage(page, '[data-field-error="llm_base_url"]');
    await expect.poll(() => baseUrlError.textContent(), { timeout: 25_000 }).toContain('Nothing answers at this address');
    expect(await inPage(page, '#llm_base_url').getAttribute('aria-invalid')).toBe('true');
    await inPage(page, '#llm_base_url').fill(stack.llm.url);
    await inPage(page, '#llm_api_key').fill('sk-scripted');
    await inPage(page, '[data-action="test-llm"]').click();
    await expect.poll(() => inPage(page, '[data-test-result="ok"]').count(), { timeout: 20_000 }).toBe(1);
    expect(await baseUrlError.count()).toBe(0);
    await inPage(page, 'form[data-form="llm"] button[type="submit"]').click();
    await expect.poll(() => inPage(page, '[data-key-state]').getAttribute('data-key-state')).toBe('set');
    await expect.poll(() => inPage(page, '#llm_api_key').inputValue()).toBe('');

    // An agent, configured and started.
    await inPage(page, 'a[href="/agents"]').first().click();
    await page.waitForURL('**/agents');
    await inPage(page, '#agent-name').fill('Builder');
    await inPage(page, 'form button[type="submit"]').click();
    await page.waitForURL(/\/agents\/[0-9a-f-]{36}$/);
    await expect.poll(() => headingState(page)).toMatchObject({ text: 'Builder', title: 'Builder · MetisAI' });
    await inPage(page, '#field-warm_pool_size').fill('0');
    await inPage(page, '#field-idle_timeout_seconds').fill('5');
    await inPage(page, 'form[data-form="agent"] button[type="submit"]').click();
    // The API's field error shows next to the field (idle timeout under 30 s).
    await expect.poll(() => inPage(page, '[data-field-error="config.idle_timeout_seconds"]').count()).toBe(1);
    await inPage(page, '#field-idle_timeout_seconds').fill('300');
    await inPage(page, 'form[data-form="agent"] button[type="submit"]').click();
    await expect.poll(() => inPage(page, 'form[data-form="agent"] .ok').count()).toBe(1);
    await inPage(page, '[data-action="start-agent"]').click();
    await expect.poll(() => inPage(page, '[data-agent-status]').getAttribute('data-status'), { timeout: 30_000 }).toBe('running');

    // A conversation: streamed text, the command's output in the terminal, the run's end.
    await inPage(page, '[data-action="new-conversation"]').click();
    await page.waitForURL(/\/conversations\/[0-9a-f-]{36}$/);
    await send(page, 'build the notes');
    const terminal = inPage(page, 'metis-terminal-pane [data-terminal-entry]').first();
    // Colours show while the command runs (its live output); the stored observation is the sandbox's plain rendering.
    await expect
      .poll(
        () =>
          terminal
            .locator('.fg-2')
            .first()
            .textContent({ timeout: 1_000 })
            .catch(() => ''),
        { timeout: 30_000 },
      )
      .toBe('colour works');
    await expect.poll(() => terminal.textContent(), { timeout: 30_000 }).toContain('build-output-42');
    expect(await terminal.locator('[data-exit-code]').getAttribute('data-exit-code')).toBe('0');
    const lastAnswer = inPage(page, '[part~="message-assistant"] .markdown').last();
    await expect.poll(() => lastAnswer.textContent(), { timeout: 30_000 }).toContain('notes.txt is written');
    await expect.poll(() => inPage(page, '[data-conversation-state]').getAttribute('data-state'), { timeout: 20_000 }).toBe('idle');
    expect(await inPage(page, '[part~="message-assistant"] strong').first().textContent()).toBe('now');
    // The reasoning is shown apart from the answer (folded), never inside it.
    expect(await inPage(page, '[part~="reasoning"]').last().textContent()).toContain('The file exists now; say so briefly.');
    expect(await lastAnswer.textContent()).not.toContain('say so briefly');
    // The edit's diff in its tool step.
    expect(await inPage(page, '[part~="tool-step"][data-tool="str_replace_editor"]').count()).toBe(1);
    // The changes pane: the workspace's diff since the conversation began.
    await inPage(page, '[data-pane="changes"]').click();
    const change = inPage(page, 'metis-changes-pane [data-change="notes.txt"]');
    await expect.poll(() => change.textContent(), { timeout: 10_000 }).toContain('+second line');
    // The files pane: the file, downloaded through a signed URL.
    await inPage(page, '[data-pane="files"]').click();
    const fileRow = inPage(page, 'metis-files-pane [data-file="notes.txt"]');
    await expect.poll(() => fileRow.count(), { timeout: 10_000 }).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download'), fileRow.locator('[data-action="download"]').click()]);
    expect(download.suggestedFilename()).toBe('notes.txt');
    expect(await readFile((await download.path())!, 'utf8')).toBe('first line\nsecond line\n');

    // Back on the dashboard, the checklist is done and the usage chart counts the run's tokens.
    await inPage(page, 'a[href="/"]').first().click();
    await expect.poll(() => inPage(page, '[data-checklist]').count()).toBe(0);
    expect(Number(await inPage(page, 'svg.chart').getAttribute('data-total'))).toBeGreaterThan(0);
    expect(await violations(page)).toEqual([]);
    expect(errors).toEqual([]);
  }, 180_000);

  test('a long command is stopped; the terminal shows where it got to', async () => {
    const user = await stack.apiUser('stop');
    const agentId = await stack.runningAgent(user.client, 'stopper');
    const conversation = await user.client.conversations.create({ agent_id: agentId });
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations/${conversation.id}`);
    await send(page, 'long command please');
    const entry = inPage(page, 'metis-terminal-pane [data-terminal-entry]').first();
    await expect.poll(() => entry.textContent(), { timeout: 30_000 }).toContain('tick 3');
    await inPage(page, '[data-action="stop"]').first().click();
    await expect.poll(() => inPage(page, '[data-conversation-state]').getAttribute('data-state'), { timeout: 20_000 }).toBe('stopped');
    expect((await user.client.conversations.get(conversation.id)).state).toBe('stopped');
    expect(await entry.textContent()).not.toContain('tick 600');
  }, 90_000);

  test('confirmation mode: approve in the conversation, reject from Approvals', async () => {
    const user = await stack.apiUser('approvals');
    const agentId = await stack.runningAgent(user.client, 'careful', { confirmation_mode: true });
    const conversation = await user.client.conversations.create({ agent_id: agentId, title: 'Careful work' });
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations/${conversation.id}`);
    await send(page, 'careful steps');
    const approve = inPage(page, 'metis-conversation-page [part~="approve-button"]');
    await expect.poll(() => approve.count(), { timeout: 30_000 }).toBe(1);
    await approve.click();
    await expect.poll(async () => (await user.client.approvals.list()).data[0]?.action.args.command, { timeout: 30_000 }).toBe('echo rejected-step');

    await inPage(page, 'a[href="/approvals"]').click();
    await page.waitForURL('**/approvals');
    const card = inPage(page, `[data-approval="${conversation.id}"]`);
    await expect.poll(() => card.textContent()).toContain('echo rejected-step');
    await card.locator('[data-action="reject"]').click();
    await expect.poll(() => inPage(page, 'metis-approvals-page [data-empty]').count(), { timeout: 20_000 }).toBe(1);
    await eventually(async () => (await user.client.conversations.get(conversation.id)).state === 'idle', 30_000, 'the run to end');
    const events = [];
    for await (const event of user.client.conversations.events.list(conversation.id, { limit: 1000 })) events.push(event);
    const observations = events.filter((event) => event.type === 'observation').map((event) => (event as { content: string }).content);
    expect(observations[0]).toContain('approved-step');
    expect(observations[1]).toContain('rejected');
  }, 90_000);

  test('a reload mid-run: the view catches up with nothing missing or doubled', async () => {
    const user = await stack.apiUser('reload');
    const agentId = await stack.runningAgent(user.client, 'talker');
    const conversation = await user.client.conversations.create({ agent_id: agentId });
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations/${conversation.id}`);
    await send(page, 'slow story');
    const answer = inPage(page, '[part~="message-assistant"] .markdown').last();
    await expect.poll(() => answer.textContent(), { timeout: 30_000 }).toContain('Sentence 3 ');
    await page.reload();
    await eventually(async () => (await user.client.conversations.get(conversation.id)).state === 'idle', 40_000, 'the run to end');
    await expect
      .poll(() => inPage(page, '[part~="message-assistant"] .markdown').last().textContent(), { timeout: 20_000 })
      .toContain('Sentence 40 of a slow answer.');
    const shown = await inPage(page, '[part~="message"]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-seq')));
    const stored = [];
    for await (const event of user.client.conversations.events.list(conversation.id, { limit: 1000 }))
      if (event.type === 'message') stored.push(String(event.seq));
    expect(shown).toEqual(stored);
  }, 90_000);

  test('sign out refuses the old token; deleting the account removes everything', async () => {
    const { page } = await stack.newPage();
    const email = uniqueEmail('leaver');
    await register(page, email);
    const token = await page.evaluate(() => sessionStorage.getItem('metis-console:token'));
    expect(token).toBeTruthy();
    await inPage(page, '[data-action="sign-out"]').click();
    await page.waitForURL('**/login');
    expect(await page.evaluate(() => sessionStorage.getItem('metis-console:token'))).toBeNull();
    const refused = await fetch(`${stack.server.url}/api/v1/auth/profile`, { headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(401);

    // Sign in again, then delete the account (a wrong password first: the error is next to the field).
    await inPage(page, '#email').fill(email);
    await inPage(page, '#password').fill(PASSWORD);
    await inPage(page, 'button[type="submit"]').click();
    await page.waitForURL(`${stack.server.url}/`);
    const second = (await page.evaluate(() => sessionStorage.getItem('metis-console:token')))!;
    await page.goto(`${stack.server.url}/settings/account`);
    await inPage(page, '#delete-password').fill('not the password');
    await inPage(page, 'form[data-form="delete-account"] button[type="submit"]').click();
    await expect.poll(() => inPage(page, '[data-field-error="password"]').count()).toBe(1);
    await inPage(page, '#delete-password').fill(PASSWORD);
    await inPage(page, 'form[data-form="delete-account"] button[type="submit"]').click();
    await page.waitForURL('**/login');
    expect((await fetch(`${stack.server.url}/api/v1/auth/profile`, { headers: { authorization: `Bearer ${second}` } })).status).toBe(401);
    const login = await fetch(`${stack.server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(login.status).toBe(401);
  }, 90_000);

  test('a 401 anywhere returns to sign in, then back to the page', async () => {
    const user = await stack.apiUser('expired');
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations?state=idle`);
    await expect.poll(async () => (await headingState(page)).text).toBe('Conversations');
    // The session ends elsewhere (another tab signs out): the next request gets a 401.
    await user.client.auth.logout();
    await inPage(page, 'a[href="/agents"]').first().click();
    await page.waitForURL(/\/login\?next=/);
    expect(decodeURIComponent(new URL(page.url()).searchParams.get('next')!)).toBe('/agents');
    await inPage(page, '#email').fill(user.email);
    await inPage(page, '#password').fill(PASSWORD);
    await inPage(page, 'button[type="submit"]').click();
    await page.waitForURL('**/agents');
    await expect.poll(async () => (await headingState(page)).text).toBe('Agents');
  }, 90_000);

  test('a warning five minutes before the token expires; at expiry, sign in again', async () => {
    const user = await stack.apiUser('expiry');
    const { page } = await stack.newPage({ token: user.token });
    // The token lives 7 days (JWT_EXPIRES_SECONDS's default): the page's clock is moved on instead of waiting.
    await page.clock.install();
    await page.goto(`${stack.server.url}/agents`);
    await expect.poll(async () => (await headingState(page)).text).toBe('Agents');
    expect(await inPage(page, '.banner').count()).toBe(0);
    await page.clock.fastForward((7 * 24 * 60 - 4) * 60_000);
    await expect.poll(() => inPage(page, '.banner').first().innerText()).toMatch(/Your session ends in [1-4] min/);
    await page.clock.fastForward('05:00');
    await page.waitForURL(/\/login\?next=%2Fagents$/);
    expect(await page.evaluate(() => sessionStorage.getItem('metis-console:token'))).toBeNull();
  }, 90_000);

  test('conversations: filters in the URL, title search, paging, empty states, delete', async () => {
    const user = await stack.apiUser('lists');
    const agentId = await stack.runningAgent(user.client, 'lister');
    for (let index = 1; index <= 23; index += 1) await user.client.conversations.create({ agent_id: index % 2 ? agentId : null, title: `Task ${index}` });
    await user.client.conversations.create({ title: 'Deploy the blog' });
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations`);
    const rows = inPage(page, 'tbody tr');
    await expect.poll(() => rows.count()).toBe(20);
    await inPage(page, '[data-action="next-page"]').click();
    await expect.poll(() => rows.count()).toBe(4);
    await inPage(page, '#filter-q').fill('deploy blog');
    await inPage(page, '#filter-q').press('Enter');
    await expect.poll(() => rows.count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('deploy blog');
    await inPage(page, '#filter-q').fill('');
    await inPage(page, '#filter-q').press('Enter');
    await inPage(page, '#filter-agent').selectOption(agentId);
    await expect.poll(() => rows.count()).toBe(12);
    await inPage(page, '#filter-state').selectOption('finished');
    await expect.poll(() => inPage(page, '[data-empty]').innerText()).toBe('No conversation matches these filters.');
    // A reload keeps the filters (they are in the URL).
    await page.reload();
    await expect.poll(() => inPage(page, '#filter-state').inputValue()).toBe('finished');
    await page.goto(`${stack.server.url}/conversations?q=${encodeURIComponent('Deploy the blog')}`);
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().locator('[data-action="delete"]').click();
    await inPage(page, '[data-action="confirm-delete"]').click();
    await expect.poll(() => inPage(page, '[data-empty]').count()).toBe(1);
    expect((await user.client.conversations.list({ q: 'blog' })).data).toEqual([]);
  }, 90_000);

  test('secrets: create, replace a value (write-only), pick one as an agent’s key with an inline new secret; API keys shown once', async () => {
    const user = await stack.apiUser('secrets');
    const agent = await user.client.agents.create({ name: 'keyed', config: { warm_pool_size: 0 } });
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/settings/secrets`);
    await inPage(page, '#secret-name').fill('bad name');
    await inPage(page, '#secret-value').fill('x');
    await inPage(page, 'form[data-form="secret"] button[type="submit"]').click();
    await expect.poll(() => inPage(page, '[data-field-error="name"]').count()).toBe(1);
    await inPage(page, '#secret-name').fill('DEPLOY_TOKEN');
    await inPage(page, '#secret-value').fill('first-value');
    await inPage(page, 'form[data-form="secret"] button[type="submit"]').click();
    const row = inPage(page, '[data-secret="DEPLOY_TOKEN"]');
    await expect.poll(() => row.count()).toBe(1);
    const before = (await user.client.secrets.list()).data[0]!.updated_at;
    await row.locator('[data-action="replace"]').click();
    await row.locator('input[name="value"]').fill('second-value');
    await row.locator('button[type="submit"]').click();
    await expect.poll(async () => (await user.client.secrets.list()).data[0]!.updated_at).not.toBe(before);
    expect(await page.content()).not.toContain('second-value');

    // The agent's key: a new secret made inline, then chosen.
    await page.goto(`${stack.server.url}/agents/${agent.id}`);
    await inPage(page, '#field-llm_api_key_secret').selectOption('__new__');
    await inPage(page, '#new-secret-name').fill('LLM_KEY');
    await inPage(page, '#new-secret-value').fill('sk-inline');
    await inPage(page, '[data-action="create-secret"]').click();
    await expect.poll(() => inPage(page, '#field-llm_api_key_secret').inputValue()).toBe('LLM_KEY');
    await inPage(page, 'form[data-form="agent"] button[type="submit"]').click();
    await expect.poll(async () => (await user.client.agents.get(agent.id)).config.llm_api_key_secret).toBe('LLM_KEY');

    // An API key restricted to the agent, shown once.
    await page.goto(`${stack.server.url}/settings/api-keys`);
    await inPage(page, '#key-name').fill('deploys');
    await inPage(page, `input[name="scopes"][value="run"]`).check();
    await inPage(page, `input[name="agent_ids"][value="${agent.id}"]`).check();
    await inPage(page, 'form[data-form="api-key"] button[type="submit"]').click();
    const key = await inPage(page, '[data-created-key] [data-key]').innerText();
    expect(key).toMatch(/^metis_/);
    const [listed] = (await user.client.apiKeys.list()).data;
    expect(listed).toMatchObject({ name: 'deploys', scopes: ['read', 'run'], agent_ids: [agent.id] });
    await page.reload();
    await expect.poll(() => inPage(page, '[data-api-key="deploys"]').count()).toBe(1);
    expect(await page.locator('metis-console [data-created-key]').count()).toBe(0);
  }, 90_000);

  test('files pane: upload with progress, new folder, rename, delete, download all; export and import a conversation', async () => {
    const user = await stack.apiUser('files');
    const agentId = await stack.runningAgent(user.client, 'filer');
    const conversation = await user.client.conversations.create({ agent_id: agentId, title: 'Files here' });
    for await (const event of user.client.conversations.run(conversation.id, 'hello files')) void event;
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations/${conversation.id}`);
    await inPage(page, '[data-pane="files"]').click();
    const pane = inPage(page, 'metis-files-pane');
    // An upload big enough to show its progress.
    const big = path.join(tmpdir(), `metis-console-upload-${process.pid}.bin`);
    await writeFile(big, Buffer.alloc(8 * 1024 * 1024, 7));
    await pane.evaluate((element) => {
      const seen: number[] = [];
      (window as unknown as { __progress: number[] }).__progress = seen;
      new MutationObserver(() => {
        for (const bar of element.shadowRoot!.querySelectorAll('progress')) seen.push(Number(bar.getAttribute('value')));
      }).observe(element.shadowRoot!, { subtree: true, childList: true, attributes: true });
    });
    await pane.locator('input[type="file"]').setInputFiles(big);
    await expect.poll(() => pane.locator(`[data-file="${path.basename(big)}"]`).count(), { timeout: 30_000 }).toBe(1);
    // The progress bar showed, and moved.
    const progress = await page.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
    expect(progress.length).toBeGreaterThan(0);
    expect(Math.max(...progress)).toBeGreaterThan(0);
    await pane.locator('[data-action="new-folder"]').click();
    await pane.locator('#edit-name').fill('reports');
    await pane.locator('#edit-name').press('Enter');
    await expect.poll(() => pane.locator('[data-file="reports"][data-type="directory"]').count()).toBe(1);
    const row = pane.locator(`[data-file="${path.basename(big)}"]`);
    await row.locator('[data-action="rename"]').click();
    await pane.locator('#edit-name').fill('data.bin');
    await pane.locator('#edit-name').press('Enter');
    await expect.poll(() => pane.locator('[data-file="data.bin"]').count()).toBe(1);
    const listed = (await user.client.conversations.get(conversation.id)).id;
    expect(listed).toBe(conversation.id);
    const [archive] = await Promise.all([page.waitForEvent('download'), pane.locator('[data-action="download-all"]').click()]);
    expect(archive.suggestedFilename()).toMatch(/\.tar\.gz$/);
    page.once('dialog', (dialog) => void dialog.accept());
    await pane.locator('[data-file="data.bin"] [data-action="delete"]').click();
    await expect.poll(() => pane.locator('[data-file="data.bin"]').count()).toBe(0);

    // Export, then import the document as a new conversation.
    const [exported] = await Promise.all([page.waitForEvent('download'), inPage(page, '[data-action="export"]').click()]);
    const document_ = JSON.parse(await readFile((await exported.path())!, 'utf8'));
    expect(document_.conversation.title).toBe('Files here');
    const file = path.join(tmpdir(), `metis-console-export-${process.pid}.json`);
    await writeFile(file, JSON.stringify(document_));
    await page.goto(`${stack.server.url}/conversations`);
    await inPage(page, '#import-file').setInputFiles(file);
    await page.waitForURL((url) => /\/conversations\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(conversation.id));
    await expect.poll(() => inPage(page, '[part~="message-user"]').first().textContent()).toContain('hello files');
  }, 120_000);

  test("fork at an earlier step: the forked conversation's files are those of that step", async () => {
    const user = await stack.apiUser('forker');
    const agentId = await stack.runningAgent(user.client, 'versions');
    const conversation = await user.client.conversations.create({ agent_id: agentId, title: 'Three versions' });
    for await (const event of user.client.conversations.run(conversation.id, 'versions please')) void event;
    const files = new Files(user.client);
    expect(await (await files.download(conversation.id, 'app.txt')).text()).toBe('v3');
    const observations: number[] = [];
    for await (const event of user.client.conversations.events.list(conversation.id, { limit: 1000 }))
      if (event.type === 'observation') observations.push(event.seq);
    expect(observations).toHaveLength(3);
    const { page, errors } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations/${conversation.id}`);
    // The first step's button: after it, app.txt held v1.
    const button = inPage(page, `[data-action="fork"][data-seq="${observations[0]}"]`);
    await expect.poll(() => button.count(), { timeout: 30_000 }).toBe(1);
    expect(await button.textContent()).toContain(`step ${observations[0]}`);
    await button.hover();
    await page.screenshot({ path: path.join(CONSOLE_OUTPUT_DIR, 'fork-from-here.png') });
    await button.click();
    await page.waitForURL((url) => /\/conversations\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(conversation.id), { timeout: 30_000 });
    const forkId = new URL(page.url()).pathname.split('/').at(-1)!;
    await expect.poll(() => inPage(page, '[data-forked-from]').textContent(), { timeout: 20_000 }).toContain(`step ${observations[0]}`);
    const fork = await user.client.conversations.get(forkId);
    expect(fork).toMatchObject({ title: 'Three versions', state: 'idle', forked_from: { conversation_id: conversation.id, seq: observations[0] } });
    // The fork shows its transcript up to that step: one command, not three.
    await expect.poll(() => inPage(page, '[data-action="fork"]').count(), { timeout: 20_000 }).toBe(2);
    // Its files are those of that step (restored when its workspace first opens), in the files pane and downloaded.
    await inPage(page, '[data-pane="files"]').click();
    await expect.poll(() => inPage(page, 'metis-files-pane [data-file="app.txt"]').count(), { timeout: 30_000 }).toBe(1);
    await page.screenshot({ path: path.join(CONSOLE_OUTPUT_DIR, 'fork-opened.png') });
    expect(await (await files.download(forkId, 'app.txt')).text()).toBe('v1');
    // The original is untouched.
    expect(await (await files.download(conversation.id, 'app.txt')).text()).toBe('v3');
    expect(errors).toEqual([]);
  }, 120_000);

  test('the work view: rename; the terminal searched (next, previous, Enter) and copied whole; the pane shown survives a reload', async () => {
    const user = await stack.apiUser('terminal');
    const agentId = await stack.runningAgent(user.client, 'shell');
    const conversation = await user.client.conversations.create({ agent_id: agentId, title: 'Before' });
    const { context, page } = await stack.newPage({ token: user.token });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.server.url });
    await page.goto(`${stack.server.url}/conversations/${conversation.id}`);
    await send(page, 'three commands');
    await expect.poll(() => inPage(page, '[data-conversation-state]').getAttribute('data-state'), { timeout: 30_000 }).toBe('idle');
    await expect.poll(() => inPage(page, 'metis-terminal-pane [data-exit-code]').count(), { timeout: 20_000 }).toBe(3);

    // Rename: the heading, the page title and the stored title change.
    await inPage(page, '[data-action="rename"]').click();
    await inPage(page, '#title').fill('After the rename');
    await inPage(page, '#title').press('Enter');
    await expect.poll(async () => (await headingState(page)).text).toBe('After the rename');
    expect(await page.title()).toBe('After the rename · MetisAI');
    expect((await user.client.conversations.get(conversation.id)).title).toBe('After the rename');

    // Search: two commands match; Enter and the buttons move between them, the current one marked.
    const search = inPage(page, 'metis-terminal-pane #terminal-search');
    await search.fill('alpha');
    const count = inPage(page, 'metis-terminal-pane [data-matches]');
    await expect.poll(() => count.getAttribute('data-matches')).toBe('2');
    expect(await count.textContent()).toBe('1 of 2');
    // A match is a command: its marks in the command and in its output are all current.
    const current = inPage(page, 'metis-terminal-pane mark.current').first();
    await expect.poll(() => current.textContent()).toBe('alpha');
    expect(await current.locator('xpath=ancestor::*[@data-terminal-entry][1]').textContent()).toContain('alpha-one');
    await search.press('Enter');
    await expect.poll(() => count.textContent()).toBe('2 of 2');
    expect(await current.locator('xpath=ancestor::*[@data-terminal-entry][1]').textContent()).toContain('alpha-three');
    await inPage(page, 'metis-terminal-pane button:text-is("Previous")').click();
    await expect.poll(() => count.textContent()).toBe('1 of 2');
    await search.fill('no-such-text');
    await expect.poll(() => count.textContent()).toBe('No matches');
    await search.fill('');

    // Copy all: every command with its output, in order.
    await inPage(page, 'metis-terminal-pane [data-action="copy-terminal"]').click();
    await expect.poll(() => inPage(page, 'metis-terminal-pane [data-action="copy-terminal"]').textContent()).toBe('Copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const order = ['$ echo alpha-one', 'alpha-one', '$ echo beta-two', 'beta-two', '$ echo alpha-three', 'alpha-three'].map((line) => copied.indexOf(line));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));

    // The pane shown is kept in the URL: a reload opens it again.
    await inPage(page, '[data-pane="files"]').click();
    await page.waitForURL((url) => url.search === '?pane=files');
    await page.reload();
    await expect.poll(() => inPage(page, '[data-pane="files"]').getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => inPage(page, 'metis-files-pane').isVisible()).toBe(true);
    expect(await inPage(page, 'metis-terminal-pane').isVisible()).toBe(false);
    await inPage(page, '[data-pane="terminal"]').click();
    await page.waitForURL((url) => url.search === '');
  }, 120_000);

  test('keyboard only in the work view: send, approve with Enter, reject with Escape, switch panes with the arrows; focus visible', async () => {
    const user = await stack.apiUser('keyboard');
    const agentId = await stack.runningAgent(user.client, 'careful keys', { confirmation_mode: true });
    const conversation = await user.client.conversations.create({ agent_id: agentId, title: 'By keyboard' });
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/conversations/${conversation.id}`);
    await expect.poll(() => headingState(page)).toMatchObject({ text: 'By keyboard', isFocused: true });
    await expect.poll(() => inPage(page, 'metis-conversation-page textarea').isEnabled(), { timeout: 20_000 }).toBe(true);
    /** The focused element inside the shadow roots, and whether its focus ring shows. */
    const focused = () =>
      page.evaluate(() => {
        let active: Element | null = document.activeElement;
        while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
        const style = active ? getComputedStyle(active) : undefined;
        return {
          tag: active?.localName ?? '',
          part: active?.getAttribute('part') ?? '',
          pane: active?.getAttribute('data-pane') ?? '',
          isRingShown: style !== undefined && (style.outlineStyle !== 'none' || style.boxShadow !== 'none'),
        };
      });
    const tabUntil = async (isThere: (state: Awaited<ReturnType<typeof focused>>) => boolean, key = 'Tab') => {
      for (let index = 0; index < 40 && !isThere(await focused()); index += 1) await page.keyboard.press(key);
      const state = await focused();
      expect(isThere(state), JSON.stringify(state)).toBe(true);
      expect(state.isRingShown, JSON.stringify(state)).toBe(true);
    };

    await tabUntil((state) => state.tag === 'textarea');
    await page.keyboard.type('careful steps');
    await page.keyboard.press('Enter');
    const approval = inPage(page, 'metis-conversation-page [part~="approval"]');
    await expect.poll(() => approval.count(), { timeout: 30_000 }).toBe(1);
    // The approval sits above the composer: Shift+Tab reaches its buttons; Enter approves.
    await tabUntil((state) => state.part.includes('approve-button'), 'Shift+Tab');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await user.client.approvals.list()).data[0]?.action.args.command, { timeout: 30_000 }).toBe('echo rejected-step');
    await expect.poll(() => approval.count(), { timeout: 10_000 }).toBe(1);
    await inPage(page, 'metis-conversation-page textarea').focus();
    await tabUntil((state) => state.part.includes('reject-button'), 'Shift+Tab');
    await page.keyboard.press('Escape');
    await eventually(async () => (await user.client.conversations.get(conversation.id)).state === 'idle', 30_000, 'the run to end');
    const observations = [];
    for await (const event of user.client.conversations.events.list(conversation.id, { limit: 1000 }))
      if (event.type === 'observation') observations.push((event as { content: string }).content);
    expect(observations[0]).toContain('approved-step');
    expect(observations[1]).toContain('rejected');

    // The panes: Tab reaches the selected tab; the arrows move between them.
    await inPage(page, 'metis-conversation-page textarea').focus();
    await tabUntil((state) => state.pane === 'terminal');
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await focused()).pane).toBe('changes');
    expect(await inPage(page, '[data-pane="changes"]').getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => inPage(page, 'metis-changes-pane').isVisible()).toBe(true);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(async () => (await focused()).pane).toBe('terminal');
    await expect.poll(() => inPage(page, 'metis-terminal-pane').isVisible()).toBe(true);
  }, 120_000);

  test('an agent: a provider preset fills the base URL; stop, then delete after the confirmation', async () => {
    const user = await stack.apiUser('agent-life');
    const agentId = await stack.runningAgent(user.client, 'Short-lived');
    const { page } = await stack.newPage({ token: user.token });

    await page.goto(`${stack.server.url}/settings/llm`);
    await inPage(page, '#llm_model').fill('');
    await inPage(page, '#preset').selectOption('ollama');
    expect(await inPage(page, '#llm_base_url').inputValue()).toBe('http://localhost:11434/v1');
    expect(await inPage(page, '#llm_model').inputValue()).toBe('qwen2.5-coder:7b');
    await inPage(page, '#preset').selectOption('deepseek');
    expect(await inPage(page, '#llm_base_url').inputValue()).toBe('https://api.deepseek.com/v1');

    await page.goto(`${stack.server.url}/agents/${agentId}`);
    await expect.poll(() => inPage(page, '[data-agent-status]').getAttribute('data-status')).toBe('running');
    await inPage(page, '[data-action="stop-agent"]').click();
    await expect.poll(() => inPage(page, '[data-agent-status]').getAttribute('data-status'), { timeout: 30_000 }).toBe('stopped');
    expect((await user.client.agents.get(agentId)).status).toBe('stopped');
    expect(await inPage(page, '[data-action="new-conversation"]').isDisabled()).toBe(true);

    // Delete asks first: cancelling keeps the agent; confirming deletes it and returns to the list.
    await inPage(page, '[data-action="delete-agent"]').click();
    const dialog = inPage(page, '#delete-dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await dialog.locator('button:text-is("Cancel")').click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect((await user.client.agents.get(agentId)).name).toBe('Short-lived');
    await inPage(page, '[data-action="delete-agent"]').click();
    await inPage(page, '[data-action="confirm-delete"]').click();
    await page.waitForURL('**/agents');
    await expect.poll(() => inPage(page, `[data-agent="${agentId}"]`).count()).toBe(0);
    await expect(user.client.agents.get(agentId)).rejects.toMatchObject({ status: 404 });
  }, 90_000);

  test('the account: sessions listed, one ended, the others ended; the password changed (a wrong current one first)', async () => {
    const user = await stack.apiUser('account');
    const login = async () => {
      const response = await fetch(`${stack.server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'second-device' },
        body: JSON.stringify({ email: user.email, password: PASSWORD }),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const profileStatus = async (token: string) =>
      (await fetch(`${stack.server.url}/api/v1/auth/profile`, { headers: { authorization: `Bearer ${token}` } })).status;
    const [second, third] = [await login(), await login()];
    const { page } = await stack.newPage({ token: user.token });
    await page.goto(`${stack.server.url}/settings/account`);
    const rows = inPage(page, '[data-session]');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await inPage(page, '[data-session] .badge').count()).toBe(1);

    // End one other session: its token is refused; the rest work.
    await rows.filter({ hasText: 'second-device' }).first().locator('button').click();
    await expect.poll(() => rows.count()).toBe(2);
    const statuses = [await profileStatus(second), await profileStatus(third)].sort();
    expect(statuses).toEqual([200, 401]);
    // End the others: only this tab's session is left.
    await inPage(page, '[data-action="end-others"]').click();
    await expect.poll(() => rows.count()).toBe(1);
    expect([await profileStatus(second), await profileStatus(third)]).toEqual([401, 401]);
    expect(await profileStatus(user.token)).toBe(200);

    // The password: a wrong current one is named next to its field; then it changes, and this tab stays signed in.
    await inPage(page, '#current_password').fill('not my password');
    await inPage(page, '#new_password').fill('a brand new password 42');
    await inPage(page, 'form[data-form="password"] button[type="submit"]').click();
    await expect.poll(() => inPage(page, '[data-field-error="current_password"]').count()).toBe(1);
    expect(await inPage(page, '#current_password').getAttribute('aria-invalid')).toBe('true');
    await inPage(page, '#current_password').fill(PASSWORD);
    await inPage(page, '#new_password').fill('a brand new password 42');
    await inPage(page, 'form[data-form="password"] button[type="submit"]').click();
    await expect.poll(() => inPage(page, 'p.ok').textContent()).toContain('Password changed');
    expect(await inPage(page, '[data-field-error="current_password"]').count()).toBe(0);
    expect(await profileStatus(user.token)).toBe(200);
    const oldLogin = await fetch(`${stack.server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: PASSWORD }),
    });
    expect(oldLogin.status).toBe(401);
  }, 60_000);

  test('a server that takes no registrations: sign-in offers none, and /register says so', async () => {
    const closed = await startTestServer({ env: { SANDBOX_DRIVER: 'local', ALLOW_REGISTRATION: 'false' } });
    try {
      const { page } = await stack.newPage();
      await page.goto(`${closed.url}/login`);
      await expect.poll(async () => (await headingState(page)).text).toBe('Sign in');
      await expect.poll(() => inPage(page, 'a[href^="/register"]').count()).toBe(0);
      await page.goto(`${closed.url}/register`);
      await expect.poll(() => inPage(page, '[data-registration-closed]').innerText()).toBe('Registration is closed on this server.');
      expect(await inPage(page, '#email').isVisible()).toBe(false);
    } finally {
      await closed.close();
    }
  }, 90_000);
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { NotFoundError, PermissionDeniedError, StreamEndedError, type MetisClient } from '@metisai/sdk';
import { VisitorFiles } from '@metisai/sdk/files';
import { isRunEnd, VisitorClient, visitorTokenProvider, type ConversationStreamEvent, type VisitorCredentials } from '@metisai/sdk/embed';
import { eventually, startStack, type Stack } from './support/harness.ts';

/** Embedding through the SDK against a real server: the owner's keys and minted tokens, and a page's visitor client. */
const ORIGIN = 'https://shop.example.com';
let stack: Stack;
let owner: MetisClient;
beforeAll(async () => {
  // The local driver serves visitors only when allowed explicitly; it cannot cut the network, so the policy keeps it.
  stack = await startStack({ env: { ALLOW_UNSAFE_LOCAL_SANDBOX: 'true' } });
  owner = (await stack.user('embed-owner')).client;
});
afterAll(() => stack?.close());

async function embeddedAgent(): Promise<{ agentId: string; key: string; keyId: string }> {
  const agent = await owner.agents.create({ name: 'Helper', config: { warm_pool_size: 0, embed: { enabled: true, policy: { network: 'egress' } } } });
  await owner.agents.start(agent.id);
  await eventually(async () => (await owner.agents.get(agent.id)).status === 'running');
  const created = await owner.agents.publishableKeys.create(agent.id, { allowed_origins: [ORIGIN] });
  return { agentId: agent.id, key: created.key, keyId: created.id };
}

/** A page's client: its visitor sessions come from the publishable key, its requests from ORIGIN (set by hand in Node). */
function pageClient(key: string, saved: { visitor?: VisitorCredentials } = {}) {
  const headers = { Origin: ORIGIN };
  return new VisitorClient({
    baseUrl: stack.url,
    headers,
    token: visitorTokenProvider({
      baseUrl: stack.url,
      publishableKey: key,
      headers,
      visitor: saved.visitor,
      onVisitor: (visitor) => (saved.visitor = visitor),
    }),
  });
}

describe('embedding through the SDK', () => {
  test('the owner manages publishable keys: create, list, update, rotate, delete', async () => {
    const { agentId, keyId, key } = await embeddedAgent();
    expect((await owner.agents.publishableKeys.list(agentId)).data.map((k) => k.id)).toEqual([keyId]);
    const updated = await owner.agents.publishableKeys.update(agentId, keyId, { allowed_origins: [ORIGIN, 'http://localhost:5173'] });
    expect(updated.allowed_origins).toEqual([ORIGIN, 'http://localhost:5173']);
    const rotated = await owner.agents.publishableKeys.rotate(agentId, keyId);
    expect(rotated.key).not.toBe(key);
    expect(rotated.rotated_at).not.toBeNull();
    expect((await owner.agents.publishableKeys.get(agentId, keyId)).key).toBe(rotated.key);
    await owner.agents.publishableKeys.delete(agentId, keyId);
    expect((await owner.agents.publishableKeys.list(agentId)).data).toEqual([]);
  });

  test('a visitor runs a conversation; coming back with its kept id and resume key it finds it again', async () => {
    const { agentId, key } = await embeddedAgent();
    const saved: { visitor?: VisitorCredentials } = {};
    const page = pageClient(key, saved);
    stack.llm.setScript([turns.text('Hello, visitor!', { chunkDelayMs: 2 })]);
    const conversation = await page.embed.conversations.create({ title: 'First' });
    const events: ConversationStreamEvent[] = [];
    for await (const event of page.embed.conversations.run(conversation.id, 'hi')) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'idle' });
    expect(
      events
        .filter((event) => event.type === 'delta')
        .map((event) => (event.type === 'delta' ? event.content : ''))
        .join(''),
    ).toBe('Hello, visitor!');
    expect(saved.visitor).toEqual({ id: conversation.visitor_id, resume_key: expect.stringMatching(/^rk_/) });

    const returning = pageClient(key, { visitor: saved.visitor });
    expect((await returning.embed.conversations.list()).data.map((c) => c.id)).toEqual([conversation.id]);
    expect((await returning.embed.conversations.messages.list(conversation.id)).data.map((m) => m.content)).toEqual(['hi', 'Hello, visitor!']);
    const stranger = pageClient(key);
    expect((await stranger.embed.conversations.list()).data).toEqual([]);
    // The owner sees it among theirs.
    expect((await owner.conversations.list({ agent_id: agentId, visitor_id: conversation.visitor_id! })).data.map((c) => c.id)).toEqual([conversation.id]);
  });

  test('a visitor uploads a file with VisitorFiles, runs with it attached, and reads the changes; a stranger cannot upload there', async () => {
    const { key } = await embeddedAgent();
    const page = pageClient(key);
    const conversation = await page.embed.conversations.create();
    const files = new VisitorFiles(page);
    expect(await files.upload(conversation.id, 'notes.txt', 'from the page\n')).toMatchObject({ path: 'notes.txt', type: 'file', size: 14 });
    stack.llm.setScript([turns.toolCall('execute_bash', { command: 'cat notes.txt' }), turns.toolCall('finish', { message: 'read' })]);
    const events: ConversationStreamEvent[] = [];
    for await (const event of page.embed.conversations.run(conversation.id, 'read my file', { attachments: [{ path: 'notes.txt' }] })) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'finished' });
    expect(events.find((event) => event.type === 'message' && event.role === 'user')).toMatchObject({ attachments: [{ path: 'notes.txt' }] });
    expect(events.find((event) => event.type === 'observation')).toMatchObject({ content: expect.stringMatching(/^from the page\n/) });
    expect((await page.embed.conversations.changes(conversation.id)).data).toEqual([expect.objectContaining({ path: 'notes.txt', status: 'added' })]);
    await expect(new VisitorFiles(pageClient(key)).upload(conversation.id, 'x.txt', 'x')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('a stream opened mid-answer yields a catch_up first; the text it seeds plus the deltas is the stored message', async () => {
    const { key } = await embeddedAgent();
    const page = pageClient(key);
    const reply = Array.from({ length: 40 }, (_, index) => `part${index}`).join(' ');
    stack.llm.setScript([turns.text(reply, { chunkDelayMs: 5, streamPause: { afterChunks: 15, ms: 1500 } })]);
    const conversation = await page.embed.conversations.create();
    const first = page.embed.conversations.stream(conversation.id);
    const iterator = first[Symbol.asyncIterator]();
    // Reading opens the connection; the message is sent once it is open.
    let next = iterator.next();
    await first.connected;
    await page.embed.conversations.messages.create(conversation.id, { content: 'talk' });
    for (let deltas = 0; deltas < 5; next = iterator.next()) if ((await next).value?.type === 'delta') deltas += 1;
    first.abort();

    let text = '';
    let messageId: string | undefined;
    for await (const event of page.embed.conversations.stream(conversation.id)) {
      if (event.type === 'catch_up') {
        messageId = event.message_id;
        text = event.content;
      }
      if (event.type === 'delta' && event.message_id === messageId) text += event.content;
      if (isRunEnd(event)) break;
    }
    const stored = (await page.embed.conversations.messages.list(conversation.id)).data.find((message) => message.role === 'assistant')!;
    expect(messageId).toBe(stored.id);
    expect(text).toBe(stored.content);
  });

  test('an app backend mints tokens with an embed:mint key; rotating the key ends the visitor’s stream (token_stale)', async () => {
    const { agentId, keyId } = await embeddedAgent();
    const apiKey = await owner.apiKeys.create({ name: 'app backend', scopes: ['embed:mint'], agent_ids: [agentId] });
    const backend = stack.client({ apiKey: apiKey.key });
    const minted = await backend.agents.createEmbedToken(agentId, { user_ref: 'customer-7', origin: ORIGIN, ttl: 3600 });
    const visitor = new VisitorClient({ baseUrl: stack.url, token: minted.token, headers: { Origin: ORIGIN } });
    const conversation = await visitor.embed.conversations.create();
    expect(conversation.visitor_id).toBe(minted.visitor.id);
    // From another origin, the same token is refused.
    const elsewhere = new VisitorClient({ baseUrl: stack.url, token: minted.token, headers: { Origin: 'https://evil.example.net' }, maxRetries: 0 });
    await expect(elsewhere.embed.conversations.list()).rejects.toMatchObject({ status: 403, code: 'origin_not_allowed' });
    await expect(backend.agents.get(agentId)).rejects.toBeInstanceOf(PermissionDeniedError);

    const stream = visitor.embed.conversations.stream(conversation.id, { maxReconnects: 0 });
    const outcome = (async () => {
      for await (const _event of stream) {
        // idle: nothing arrives until the policy changes
      }
    })().catch((error: unknown) => error);
    await stream.connected;
    await owner.agents.publishableKeys.rotate(agentId, keyId);
    const error = await outcome;
    expect(error).toBeInstanceOf(StreamEndedError);
    expect(error).toMatchObject({ code: 'token_stale' });
  });
});

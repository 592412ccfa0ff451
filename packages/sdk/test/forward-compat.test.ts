import { describe, expect, test } from 'vitest';
import { isKnownEvent, MetisClient } from '../src/index.ts';
import { AgentConfigSchema, AgentCreateParamsSchema, SettingsUpdateParamsSchema } from '../src/schemas/index.ts';
import { Files } from '../src/files.ts';
import { fakeFetch, json, sseResponse } from './support/fakes.ts';

/**
 * A newer server adds fields, statuses, states, reasons, codes and event types. This SDK must read its responses
 * (keeping what it does not know) while its requests stay strict.
 */
const ID = (n: number) => `0192a000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const AT = '2026-11-25T12:00:00.000Z';

const newerAgent = {
  id: ID(1),
  name: 'a',
  description: null,
  config: {
    tools: ['execute_bash', 'browse_web'],
    secrets: [],
    warm_pool_size: 1,
    idle_timeout_seconds: 900,
    embed: { enabled: true, branding: { color: '#000' }, policy: { tools: ['browse_web'], network: 'vpn', quotas: { visitor_files_per_day: 3 } } },
    avatar: { emoji: '🤖' },
    llm_idle_timeout_seconds: 120,
  },
  status: 'hibernating',
  status_message: null,
  status_detail: { phase: 'restoring_snapshot', step: 3, steps: 9, eta_seconds: 40 },
  created_at: AT,
  updated_at: AT,
};

const newerConversation = {
  id: ID(2),
  agent_id: ID(1),
  title: null,
  state: 'waiting_for_clone',
  last_seq: 4,
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, llm_calls: 1, reasoning_tokens: 7 },
  forked_from: null,
  visitor_id: null,
  created_at: AT,
  updated_at: AT,
};

const stored = (seq: number) => ({ id: ID(10 + seq), seq, conversation_id: ID(2), created_at: AT });
const newerEvents = [
  { ...stored(1), type: 'message', role: 'user', content: 'hi', attachments: [{ path: 'a.txt', size: 1, type: 'text/plain', pages: 1 }] },
  { ...stored(2), type: 'snapshot', phase: 'taken', snapshot_id: 's1' },
  { ...stored(3), type: 'state', state: 'running', reason: 'waiting_for_review' },
  { ...stored(4), type: 'error', code: 'text_tool_call', message: 'a tool call written as text was run' },
  { ...stored(5), type: 'message', role: 'assistant', content: 'x', finish_reason: 'length', reasoning: 'because' },
];

describe('responses of a newer server', () => {
  test('agents: unknown config keys, tool names and statuses are accepted and kept', async () => {
    const { fetch } = fakeFetch((request) =>
      request.url.pathname.endsWith('/agents') ? json({ data: [newerAgent], has_more: false, next_after: null }) : json(newerAgent),
    );
    const client = new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'metis_k', fetch });
    const agent = await client.agents.get(ID(1));
    expect(agent.status).toBe('hibernating');
    expect(agent.config.tools).toEqual(['execute_bash', 'browse_web']);
    expect(agent.config).toMatchObject({ embed: { enabled: true, branding: { color: '#000' } }, avatar: { emoji: '🤖' }, llm_idle_timeout_seconds: 120 });
    expect(agent.config.embed?.policy).toMatchObject({ tools: ['browse_web'], network: 'vpn' });
    expect(agent.status_detail).toEqual({ phase: 'restoring_snapshot', step: 3, steps: 9, eta_seconds: 40 });
    const page = await client.agents.list();
    expect(page.data[0]!.status).toBe('hibernating');
  });

  test("agents: a building image's status_detail is typed; an older server's agent without one still parses", async () => {
    const building = {
      ...newerAgent,
      status: 'starting',
      status_message: 'Building the sandbox image metisai/sandbox:latest: step 3 of 9 (RUN apt-get update)',
      status_detail: {
        phase: 'building_image',
        image: 'metisai/sandbox:latest',
        step: 3,
        steps: 9,
        instruction: 'RUN apt-get update',
        log_lines: 57,
        started_at: AT,
      },
    };
    const { status_detail: _omitted, ...older } = newerAgent;
    const { fetch } = fakeFetch((request) => json(request.url.pathname.endsWith(ID(1)) ? building : older));
    const client = new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'metis_k', fetch });
    const agent = await client.agents.get(ID(1));
    expect(agent.status_detail?.phase).toBe('building_image');
    expect(agent.status_detail).toMatchObject({ step: 3, steps: 9, log_lines: 57 });
    expect((await client.agents.get(ID(3))).status_detail).toBeUndefined();
  });

  test('conversations: an unknown state and extra fields are accepted', async () => {
    const { fetch } = fakeFetch(() => json(newerConversation));
    const client = new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'metis_k', fetch });
    const conversation = await client.conversations.get(ID(2));
    expect(conversation.state).toBe('waiting_for_clone');
    expect(conversation).toMatchObject({ forked_from: null, usage: { reasoning_tokens: 7 } });
  });

  test('event lists: unknown types pass through; unknown reasons and codes are accepted', async () => {
    const { fetch } = fakeFetch(() => json({ data: newerEvents, has_more: false, next_after: null }));
    const client = new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'metis_k', fetch });
    const page = await client.conversations.events.list(ID(2));
    expect(page.data).toEqual(newerEvents);
    expect(page.data.map((event) => isKnownEvent(event))).toEqual([true, false, true, true, true]);
  });

  test('event lists still refuse a known type with a broken shape', async () => {
    const broken = { ...stored(1), type: 'message', role: 'user' };
    const { fetch } = fakeFetch(() => json({ data: [broken], has_more: false, next_after: null }));
    const client = new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'metis_k', fetch, maxRetries: 0 });
    await expect(client.conversations.events.list(ID(2))).rejects.toMatchObject({ code: 'invalid_response' });
  });

  test('the event stream yields unknown types and values', async () => {
    const frames = newerEvents.map((event) => `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    frames.push(`event: reasoning_delta\ndata: ${JSON.stringify({ type: 'reasoning_delta', conversation_id: ID(2), message_id: ID(30), content: 'hm' })}\n\n`);
    const { fetch } = fakeFetch(() => sseResponse(frames, { end: true }));
    const client = new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'metis_k', fetch });
    const seen: Array<{ type: string }> = [];
    for await (const event of client.conversations.stream(ID(2), { maxReconnects: 0 })) {
      seen.push(event);
      if (seen.length === frames.length) break;
    }
    expect(seen.map((event) => event.type)).toEqual(['message', 'snapshot', 'state', 'error', 'message', 'reasoning_delta']);
  });
});

describe('workspace responses of a newer server', () => {
  const newerInfo = {
    version: '9.0.0',
    registration_open: true,
    llm_configured: false,
    upload_limit_bytes: 10,
    import_limit_bytes: 20,
    sandbox_driver: 'firecracker',
    sandbox_allowed_images: null,
    oauth_providers: ['github'],
  };

  test('server-info: an unknown driver and extra fields are kept', async () => {
    const { fetch, requests } = fakeFetch(() => json(newerInfo));
    const client = new MetisClient({ baseUrl: 'http://metis.test', fetch });
    expect(await client.serverInfo.get()).toEqual(newerInfo);
    expect(requests[0]!.url.pathname).toBe('/api/v1/server-info');
    expect(requests[0]!.headers.get('authorization')).toBeNull();
  });

  test('file entries of an unknown type, changes with an unknown status, observations with diffs and changed files', async () => {
    const entry = { name: 's', path: 's', type: 'socket', size: 0, mtime: AT, owner: 'metis' };
    const change = { path: 'a', status: 'renamed', binary: false, diff: null, truncated: false, from: 'b' };
    const observation = {
      ...stored(1),
      type: 'observation',
      tool_call_id: 't',
      content: 'ok',
      diff: '--- a/x\n',
      changed_files: [{ path: 'x', status: 'renamed' }],
    };
    const { fetch } = fakeFetch((request) => {
      if (request.url.pathname.endsWith('/files')) return json({ data: [entry], has_more: false, next_after: null });
      if (request.url.pathname.endsWith('/changes'))
        return json({ baseline: { kind: 'commit', created_at: AT, commit: 'abc' }, data: [change], truncated: false });
      return json({ data: [observation], has_more: false, next_after: null });
    });
    const client = new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'metis_k', fetch });
    expect((await new Files(client).list(ID(2))).data).toEqual([entry]);
    expect((await client.conversations.changes(ID(2))).data).toEqual([change]);
    expect((await client.conversations.events.list(ID(2))).data).toEqual([observation]);
  });

  test('downloads name their file from an RFC 5987 filename* and stream their body', async () => {
    const { fetch, requests } = fakeFetch(
      () =>
        new Response('contents', {
          headers: {
            'content-type': 'text/plain',
            'content-length': '8',
            'content-disposition': `attachment; filename="??.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`,
          },
        }),
    );
    const client = new MetisClient({ baseUrl: 'http://metis.test', apiKey: 'metis_k', fetch });
    const seen: number[] = [];
    const download = await new Files(client).download(ID(2), '日本.txt', { onProgress: (p) => seen.push(p.transferredBytes) });
    expect(requests[0]!.url.searchParams.get('path')).toBe('日本.txt');
    expect(download).toMatchObject({ fileName: '日本.txt', contentType: 'text/plain', size: 8 });
    expect(await download.text()).toBe('contents');
    expect(seen.at(-1)).toBe(8);
  });
});

describe('requests stay strict', () => {
  test('an unknown config key or tool name is refused before sending', () => {
    expect(AgentConfigSchema.safeParse({ avatar: { emoji: '🤖' } }).success).toBe(false);
    expect(AgentConfigSchema.safeParse({ embed: { enabled: true, theme: 'dark' } }).success).toBe(false);
    expect(AgentConfigSchema.safeParse({ tools: ['browse_web'] }).success).toBe(false);
    expect(AgentCreateParamsSchema.safeParse({ name: 'a', status: 'running' }).success).toBe(false);
    expect(SettingsUpdateParamsSchema.safeParse({ llm_temperature: 0.2 }).success).toBe(false);
  });
});

import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Agent } from '../../src/entities/index.ts';
import { ConfigCheck, type AgentLifecycle } from '../../src/services/agent-lifecycle.ts';
import { eventually, Http, registerUser } from '../support/http.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

/** A door that holds callers while closed. */
class Gate {
  #opened: Promise<void> = Promise.resolve();
  #open: () => void = () => {};

  close() {
    this.#opened = new Promise((resolve) => (this.#open = resolve));
  }

  open() {
    this.#open();
    this.#opened = Promise.resolve();
  }

  pass() {
    return this.#opened;
  }
}

/** The real runtime, but starts and stops wait at their gates until the test opens them. */
class GatedRuntime implements AgentLifecycle {
  readonly #inner = new ConfigCheck();
  readonly starts = new Gate();
  readonly stops = new Gate();

  async start(em: EntityManager, agent: Agent) {
    await this.starts.pass();
    await this.#inner.start(em, agent);
  }

  async stop() {
    await this.stops.pass();
    await this.#inner.stop();
  }
}

/** Embedding: off, with the safe policy (no secrets, no network, every tool the agent has, quotas). */
const DEFAULT_EMBED = {
  enabled: false,
  policy: {
    tools: ['execute_bash', 'str_replace_editor', 'think', 'finish'],
    network: 'none',
    secrets: [],
    confirmation_timeout_seconds: 300,
    quotas: {
      visitor_messages_per_hour: 30,
      visitor_tokens_per_day: 200_000,
      visitor_sandboxes: 1,
      agent_messages_per_hour: 600,
      agent_tokens_per_day: 5_000_000,
      agent_sandboxes: 5,
    },
  },
};

const DEFAULT_CONFIG = {
  tools: ['execute_bash', 'str_replace_editor', 'think', 'finish'],
  secrets: [],
  warm_pool_size: 1,
  idle_timeout_seconds: 900,
  text_tool_calls: true,
  network: 'egress',
  embed: DEFAULT_EMBED,
};

let server: ApiServer;
let http: Http;
let alice: Http;
beforeAll(async () => {
  server = await startApiServer({ withRunner: true, env: { SANDBOX_ALLOWED_IMAGES: 'metisai/sandbox:*,python:*' } });
  http = new Http(server.url);
  alice = (await registerUser(http, 'agents')).http;
});
afterAll(() => server.close());

const createAgent = async (client: Http, body: object = { name: 'Coder' }) => {
  const reply = await client.post('/api/v1/agents', body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
};
const statusOf = async (client: Http, id: string) => (await client.get(`/api/v1/agents/${id}`)).body.status as string;
const reaches = (client: Http, id: string, status: string) => eventually(async () => (await statusOf(client, id)) === status);
const paths = (reply: { body: { error: { details?: { path: string }[] } } }) => reply.body.error.details?.map((detail) => detail.path);

describe('create, read, update', () => {
  test('create answers 201 with a stopped agent and the config defaults filled', async () => {
    const reply = await alice.post('/api/v1/agents', { name: '  Coder  ', description: 'writes code' });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      id: expect.any(String),
      name: 'Coder',
      description: 'writes code',
      config: DEFAULT_CONFIG,
      status: 'stopped',
      status_message: null,
      status_detail: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const read = await alice.get(`/api/v1/agents/${reply.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(reply.body);
    const list = await alice.get('/api/v1/agents');
    expect(list.body.data.map((agent: { id: string }) => agent.id)).toContain(reply.body.id);
  });

  test('a full config comes back as given', async () => {
    const config = {
      llm_model: 'gpt-test',
      llm_base_url: 'https://llm.example/v1',
      llm_api_key_secret: 'LLM_KEY',
      system_prompt: 'Be brief.',
      max_iterations: 7,
      sandbox_image: 'python:3.13',
      tools: ['execute_bash', 'finish'],
      confirmation_mode: true,
      secrets: ['GITHUB_TOKEN'],
      warm_pool_size: 0,
      idle_timeout_seconds: 60,
      llm_idle_timeout_seconds: 120,
      llm_timeout_seconds: 900.5,
      text_tool_calls: false,
      network: 'none',
      embed: {
        enabled: true,
        retention_days: 30,
        policy: {
          tools: ['think'],
          network: 'egress',
          secrets: ['GITHUB_TOKEN'],
          confirmation_timeout_seconds: 60,
          quotas: {
            visitor_messages_per_hour: 5,
            visitor_tokens_per_day: 1000,
            visitor_sandboxes: 2,
            agent_messages_per_hour: 50,
            agent_tokens_per_day: 100_000,
            agent_sandboxes: 3,
          },
        },
      },
    };
    const agent = await createAgent(alice, { name: 'Full', config });
    expect(agent.config).toEqual(config);
    expect((await alice.get(`/api/v1/agents/${agent.id}`)).body.config).toEqual(config);
  });

  test.each([
    [{ foo: 1 }, 'config.foo'],
    [{ max_iterations: 0 }, 'config.max_iterations'],
    [{ max_iterations: 1.5 }, 'config.max_iterations'],
    [{ max_iterations: '5' }, 'config.max_iterations'],
    [{ tools: [] }, 'config.tools'],
    [{ tools: ['rm_rf'] }, 'config.tools.0'],
    [{ secrets: ['1BAD'] }, 'config.secrets.0'],
    [{ llm_base_url: 'not a url' }, 'config.llm_base_url'],
    [{ llm_base_url: 'ftp://llm.example' }, 'config.llm_base_url'],
    [{ warm_pool_size: 11 }, 'config.warm_pool_size'],
    [{ llm_idle_timeout_seconds: 0 }, 'config.llm_idle_timeout_seconds'],
    [{ llm_timeout_seconds: 'long' }, 'config.llm_timeout_seconds'],
    [{ text_tool_calls: 'yes' }, 'config.text_tool_calls'],
    [{ idle_timeout_seconds: 5 }, 'config.idle_timeout_seconds'],
  ])('config %j is a 400 naming %s', async (config, path) => {
    const reply = await alice.post('/api/v1/agents', { name: 'Bad', config });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('validation_error');
    expect(paths(reply)).toEqual([path]);
  });

  test('several mistakes are all named', async () => {
    const reply = await alice.post('/api/v1/agents', { name: '', config: { max_iterations: 0, bar: true } });
    expect(reply.status).toBe(400);
    expect(paths(reply)?.sort()).toEqual(['config.bar', 'config.max_iterations', 'name']);
  });

  test('PUT changes only the given fields', async () => {
    const agent = await createAgent(alice, { name: 'Before', description: 'd', config: { max_iterations: 5 } });
    const renamed = await alice.put(`/api/v1/agents/${agent.id}`, { name: 'After' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'After', description: 'd', config: { ...DEFAULT_CONFIG, max_iterations: 5 } });
    const cleared = await alice.put(`/api/v1/agents/${agent.id}`, { description: null });
    expect(cleared.body).toMatchObject({ name: 'After', description: null });
    expect((await alice.get(`/api/v1/agents/${agent.id}`)).body).toEqual(cleared.body);
  });

  test('PUT replaces the config whole: fields not given go back to their defaults', async () => {
    const agent = await createAgent(alice, {
      name: 'Replace',
      config: { max_iterations: 5, warm_pool_size: 3, system_prompt: 'old', secrets: ['A'] },
    });
    const reply = await alice.put(`/api/v1/agents/${agent.id}`, { config: { max_iterations: 9 } });
    expect(reply.status).toBe(200);
    expect(reply.body.config).toEqual({ ...DEFAULT_CONFIG, max_iterations: 9 });
    expect((await alice.get(`/api/v1/agents/${agent.id}`)).body.config).toEqual({ ...DEFAULT_CONFIG, max_iterations: 9 });
  });

  test('PUT validates like create', async () => {
    const agent = await createAgent(alice);
    const reply = await alice.put(`/api/v1/agents/${agent.id}`, { config: { max_iterations: 0, foo: 1 } });
    expect(reply.status).toBe(400);
    expect(paths(reply)?.sort()).toEqual(['config.foo', 'config.max_iterations']);
    expect((await alice.put(`/api/v1/agents/${agent.id}`, { status: 'running' })).status).toBe(400);
    expect(await statusOf(alice, agent.id)).toBe('stopped');
  });
});

describe('status machine', () => {
  test('start → starting → running; stop → stopping → stopped', async () => {
    const agent = await createAgent(alice);
    const start = await alice.post(`/api/v1/agents/${agent.id}/start`);
    expect(start.status).toBe(202);
    expect(start.body).toEqual({ id: agent.id, status: 'starting' });
    await reaches(alice, agent.id, 'running');
    const stop = await alice.post(`/api/v1/agents/${agent.id}/stop`);
    expect(stop.status).toBe(202);
    expect(stop.body).toEqual({ id: agent.id, status: 'stopping' });
    await reaches(alice, agent.id, 'stopped');
    // And round again.
    expect((await alice.post(`/api/v1/agents/${agent.id}/start`)).status).toBe(202);
    await reaches(alice, agent.id, 'running');
  });

  test('start while running and stop while stopped are 409 invalid_transition', async () => {
    const agent = await createAgent(alice);
    const stop = await alice.post(`/api/v1/agents/${agent.id}/stop`);
    expect(stop.status).toBe(409);
    expect(stop.body.error).toMatchObject({ code: 'invalid_transition', current_status: 'stopped' });
    expect(stop.body.error.allowed_from.sort()).toEqual(['error', 'running', 'starting']);

    await alice.post(`/api/v1/agents/${agent.id}/start`);
    await reaches(alice, agent.id, 'running');
    const start = await alice.post(`/api/v1/agents/${agent.id}/start`);
    expect(start.status).toBe(409);
    expect(start.body.error).toMatchObject({ code: 'invalid_transition', current_status: 'running' });
    expect(start.body.error.allowed_from.sort()).toEqual(['error', 'stopped']);
    expect(await statusOf(alice, agent.id)).toBe('running');
  });

  test('of concurrent starts exactly one is accepted', async () => {
    const agent = await createAgent(alice);
    const replies = await Promise.all(Array.from({ length: 6 }, () => alice.post(`/api/v1/agents/${agent.id}/start`)));
    expect(replies.map((reply) => reply.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    await reaches(alice, agent.id, 'running');
  });

  test('a start whose config names a missing secret ends in error; after creating it, start from error runs', async () => {
    const agent = await createAgent(alice, { name: 'Needs', config: { secrets: ['MISSING_TOKEN'] } });
    expect((await alice.post(`/api/v1/agents/${agent.id}/start`)).status).toBe(202);
    await reaches(alice, agent.id, 'error');
    const failed = (await alice.get(`/api/v1/agents/${agent.id}`)).body;
    expect(failed.status_message).toContain('MISSING_TOKEN');

    expect((await alice.post('/api/v1/secrets', { name: 'MISSING_TOKEN', value: 'v' })).status).toBe(201);
    const retry = await alice.post(`/api/v1/agents/${agent.id}/start`);
    expect(retry.status).toBe(202);
    expect(retry.body.status).toBe('starting');
    await reaches(alice, agent.id, 'running');
    expect((await alice.get(`/api/v1/agents/${agent.id}`)).body.status_message).toBeNull();
  });

  test('the secret holding the LLM key is checked too, and stop from error is allowed', async () => {
    const agent = await createAgent(alice, { name: 'Key', config: { llm_api_key_secret: 'NO_SUCH_LLM_KEY' } });
    await alice.post(`/api/v1/agents/${agent.id}/start`);
    await reaches(alice, agent.id, 'error');
    expect((await alice.get(`/api/v1/agents/${agent.id}`)).body.status_message).toContain('NO_SUCH_LLM_KEY');
    const stop = await alice.post(`/api/v1/agents/${agent.id}/stop`);
    expect(stop.status).toBe(202);
    expect(stop.body.status).toBe('stopping');
    await reaches(alice, agent.id, 'stopped');
    expect((await alice.get(`/api/v1/agents/${agent.id}`)).body.status_message).toBeNull();
  });

  test('another user’s secret of that name does not count', async () => {
    const bob = await registerUser(http, 'agents-bob');
    expect((await bob.http.post('/api/v1/secrets', { name: 'BOBS_ONLY', value: 'v' })).status).toBe(201);
    const agent = await createAgent(alice, { name: 'Borrow', config: { secrets: ['BOBS_ONLY'] } });
    await alice.post(`/api/v1/agents/${agent.id}/start`);
    await reaches(alice, agent.id, 'error');
  });

  describe('while a transition is in flight', () => {
    const runtime = new GatedRuntime();
    let gated: ApiServer;
    let carol: Http;
    beforeAll(async () => {
      gated = await startApiServer({ agentLifecycle: runtime });
      carol = (await registerUser(new Http(gated.url), 'gated')).http;
    });
    afterAll(async () => {
      runtime.starts.open();
      runtime.stops.open();
      await gated.close();
    });

    test('the intermediate statuses are visible and only the allowed moves are accepted', async () => {
      const agent = await createAgent(carol);
      runtime.starts.close();
      expect((await carol.post(`/api/v1/agents/${agent.id}/start`)).body.status).toBe('starting');
      expect(await statusOf(carol, agent.id)).toBe('starting');
      const again = await carol.post(`/api/v1/agents/${agent.id}/start`);
      expect(again.status).toBe(409);
      expect(again.body.error.current_status).toBe('starting');
      runtime.starts.open();
      await reaches(carol, agent.id, 'running');

      runtime.stops.close();
      expect((await carol.post(`/api/v1/agents/${agent.id}/stop`)).body.status).toBe('stopping');
      expect(await statusOf(carol, agent.id)).toBe('stopping');
      for (const action of ['start', 'stop']) {
        const reply = await carol.post(`/api/v1/agents/${agent.id}/${action}`);
        expect(reply.status).toBe(409);
        expect(reply.body.error).toMatchObject({ code: 'invalid_transition', current_status: 'stopping' });
      }
      runtime.stops.open();
      await reaches(carol, agent.id, 'stopped');
    });
  });

  test('stop while starting wins: the start finishing last does not bring the agent back', async () => {
    const runtime = new GatedRuntime();
    const first = await startApiServer({ agentLifecycle: runtime });
    const dave = await registerUser(new Http(first.url), 'late-start');
    const agent = await createAgent(dave.http);
    runtime.starts.close();
    await dave.http.post(`/api/v1/agents/${agent.id}/start`);
    const stop = await dave.http.post(`/api/v1/agents/${agent.id}/stop`);
    expect(stop.status).toBe(202);
    expect(stop.body.status).toBe('stopping');
    await reaches(dave.http, agent.id, 'stopped');
    // Now let the start finish, and wait for it: closing drains background transitions.
    runtime.starts.open();
    await first.close();
    const second = await startApiServer({ databaseUrl: first.databaseUrl });
    try {
      expect(await statusOf(new Http(second.url, dave.token), agent.id)).toBe('stopped');
    } finally {
      await second.close();
    }
  });
});

describe('delete', () => {
  test('a running agent is deleted (204) and is then gone everywhere, its conversations read-only', async () => {
    const agent = await createAgent(alice, { name: 'Doomed' });
    await alice.post(`/api/v1/agents/${agent.id}/start`);
    await reaches(alice, agent.id, 'running');
    const conversation = (await alice.post('/api/v1/conversations', { agent_id: agent.id, title: 'kept' })).body;
    expect((await alice.post(`/api/v1/conversations/${conversation.id}/messages`, { content: 'before' })).status).toBe(202);

    expect((await alice.delete(`/api/v1/agents/${agent.id}`)).status).toBe(204);

    expect((await alice.get(`/api/v1/agents/${agent.id}`)).status).toBe(404);
    expect((await alice.put(`/api/v1/agents/${agent.id}`, { name: 'x' })).status).toBe(404);
    expect((await alice.post(`/api/v1/agents/${agent.id}/start`)).status).toBe(404);
    expect((await alice.post(`/api/v1/agents/${agent.id}/stop`)).status).toBe(404);
    expect((await alice.delete(`/api/v1/agents/${agent.id}`)).status).toBe(404);
    const list = await alice.get('/api/v1/agents?limit=100');
    expect(list.body.data.map((a: { id: string }) => a.id)).not.toContain(agent.id);
    expect((await alice.post('/api/v1/conversations', { agent_id: agent.id })).status).toBe(404);

    const read = await alice.get(`/api/v1/conversations/${conversation.id}`);
    expect(read.status).toBe(200);
    expect(read.body.title).toBe('kept');
    const messages = await alice.get(`/api/v1/conversations/${conversation.id}/messages`);
    expect(messages.status).toBe(200);
    expect(messages.body.data.map((m: { content: string }) => m.content)).toEqual(['before']);
    const refused = await alice.post(`/api/v1/conversations/${conversation.id}/messages`, { content: 'after' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('agent_deleted');
  });

  test('a stopped agent is deleted too', async () => {
    const agent = await createAgent(alice);
    expect((await alice.delete(`/api/v1/agents/${agent.id}`)).status).toBe(204);
    expect((await alice.get(`/api/v1/agents/${agent.id}`)).status).toBe(404);
  });
});

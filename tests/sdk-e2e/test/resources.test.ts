import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  MetisClient,
  MetisError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  type Agent,
} from '@metisai/sdk';
import { PASSWORD, eventually, startStack, uniqueEmail, type Stack } from './support/harness.ts';

const unexpected = (): never => {
  throw new Error('expected the call to fail');
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

const MISSING = '0192a000-0000-7000-8000-000000000000';

describe('auth', () => {
  test('register stores the token; login, profile, changePassword, logout, deleteAccount', async () => {
    const client = stack.client();
    const email = uniqueEmail('auth');
    const registered = await client.auth.register({ email, password: PASSWORD, name: 'Ada' });
    expect(registered).toMatchObject({ token_type: 'bearer', user: { email, name: 'Ada' } });
    expect((await client.auth.profile()).id).toBe(registered.user.id);

    const other = stack.client();
    await expect(other.auth.profile()).rejects.toBeInstanceOf(AuthenticationError);
    const login = await other.auth.login({ email, password: PASSWORD });
    expect(login.user.id).toBe(registered.user.id);
    expect((await other.auth.profile()).email).toBe(email);

    const wrong = await client.auth.changePassword({ current_password: 'not it at all', new_password: 'another good one' }).catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(BadRequestError);
    expect((wrong as MetisError).details?.[0]?.path).toBe('current_password');
    await client.auth.changePassword({ current_password: PASSWORD, new_password: 'another good one' });
    // Other tokens are revoked; the calling one keeps working.
    await expect(other.auth.profile()).rejects.toBeInstanceOf(AuthenticationError);
    expect((await client.auth.profile()).email).toBe(email);

    const revoked = stack.client();
    const session = await revoked.auth.login({ email, password: 'another good one' });
    await revoked.auth.logout();
    await expect(stack.client({ token: session.access_token }).auth.profile()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });

    const wrongPassword = await client.auth.deleteAccount({ password: 'not the password' }).catch((error: unknown) => error);
    expect(wrongPassword).toBeInstanceOf(BadRequestError);
    expect((wrongPassword as MetisError).details?.[0]?.path).toBe('password');
    await client.auth.deleteAccount({ password: 'another good one' });
    await expect(stack.client().auth.login({ email, password: 'another good one' })).rejects.toMatchObject({ code: 'invalid_credentials' });
  });

  test('409 email_taken; 401 invalid_credentials', async () => {
    const { email } = await stack.user('dup');
    await expect(stack.client().auth.register({ email, password: PASSWORD })).rejects.toSatisfy(
      (error) => error instanceof ConflictError && error.code === 'email_taken' && error.status === 409 && typeof error.requestId === 'string',
    );
    await expect(stack.client().auth.login({ email, password: 'wrong password!' })).rejects.toSatisfy(
      (error) => error instanceof AuthenticationError && error.code === 'invalid_credentials',
    );
  });
});

describe('agents', () => {
  test('create, get, update, list (paginated), start, stop, llmTest, delete', async () => {
    const { client } = await stack.user('agents');
    const created: Agent[] = [];
    for (let i = 0; i < 5; i++) created.push(await client.agents.create({ name: `agent-${i}`, description: i === 0 ? 'first' : null }));
    expect(created[0]).toMatchObject({ name: 'agent-0', description: 'first', status: 'stopped' });
    expect((await client.agents.get(created[0]!.id)).name).toBe('agent-0');

    const updated = await client.agents.update(created[0]!.id, { name: 'renamed', config: { max_iterations: 5 } });
    expect(updated).toMatchObject({ name: 'renamed', description: 'first', config: { max_iterations: 5 } });

    const page = await client.agents.list({ limit: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.has_more).toBe(true);
    const all = [];
    for await (const agent of client.agents.list({ limit: 2 })) all.push(agent.id);
    expect(all).toEqual(created.map((agent) => agent.id).reverse()); // newest first, across 3 pages
    const second = await client.agents.list({ limit: 2, after: page.next_after! });
    expect(second.data[0]!.id).toBe(all[2]);

    stack.llm.setScript([turns.text('ok')]);
    const tested = await client.agents.llmTest(created[1]!.id);
    expect(tested).toMatchObject({ ok: true, model: 'scripted', error: null });

    const agent = created[1]!;
    expect(await client.agents.start(agent.id)).toEqual({ id: agent.id, status: 'starting' });
    await eventually(async () => (await client.agents.get(agent.id)).status === 'running', 20_000);
    const conflict = await client.agents.start(agent.id).then(unexpected, (caught: unknown) => caught as MetisError);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict).toMatchObject({ code: 'invalid_transition' });
    expect((conflict.body as any).error.current_status).toBe('running');
    expect(await client.agents.stop(agent.id)).toEqual({ id: agent.id, status: 'stopping' });
    await eventually(async () => (await client.agents.get(agent.id)).status === 'stopped', 20_000);

    await client.agents.delete(agent.id);
    await expect(client.agents.get(agent.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.agents.delete(MISSING)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  test('400 names the bad field; another user’s agent is 404', async () => {
    const { client } = await stack.user('agents-400');
    const error = await client.agents.create({ name: 'x', config: { foo: 1 } as never }).then(unexpected, (caught: unknown) => caught as MetisError);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.code).toBe('validation_error');
    expect(error.details?.map((detail) => detail.path)).toContain('config.foo');
    const mine = await client.agents.create({ name: 'mine' });
    const { client: stranger } = await stack.user('stranger');
    await expect(stranger.agents.get(mine.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('403 registration_closed is a PermissionDeniedError; the login limit is a RateLimitError with Retry-After', async () => {
    const closed = await startStack({ env: { ALLOW_REGISTRATION: 'false', RATE_LIMIT_LOGIN_PER_EMAIL: '2' } });
    try {
      await expect(closed.client().auth.register({ email: uniqueEmail('closed'), password: PASSWORD })).rejects.toSatisfy(
        (error) => error instanceof PermissionDeniedError && error.code === 'registration_closed',
      );
      const client = closed.client({ maxRetries: 0 });
      const email = uniqueEmail('limited');
      for (let i = 0; i < 2; i++) await expect(client.auth.login({ email, password: 'wrong password!' })).rejects.toBeInstanceOf(AuthenticationError);
      const limited = await client.auth.login({ email, password: 'wrong password!' }).then(unexpected, (caught: unknown) => caught as MetisError);
      expect(limited).toBeInstanceOf(RateLimitError);
      expect(limited).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await closed.close();
    }
  });
});

describe('conversations', () => {
  test('create, get, update, list, messages, events, stop, confirm, delete', async () => {
    const { client } = await stack.user('conversations');
    const agent = await client.agents.create({ name: 'for-filter' });
    const plain = await client.conversations.create({ title: 'plain' });
    const withAgent = await client.conversations.create({ agent_id: agent.id, title: 'agent' });
    expect(plain).toMatchObject({ title: 'plain', agent_id: null, state: 'idle', usage: { total_tokens: 0 } });
    expect((await client.conversations.get(plain.id)).id).toBe(plain.id);
    expect((await client.conversations.update(plain.id, { title: 'renamed' })).title).toBe('renamed');

    const ids = [];
    for await (const conversation of client.conversations.list({ limit: 1 })) ids.push(conversation.id);
    expect(ids).toEqual([withAgent.id, plain.id]);
    expect((await client.conversations.list({ agent_id: agent.id })).data.map((c) => c.id)).toEqual([withAgent.id]);

    await expect(client.conversations.stop(plain.id)).rejects.toMatchObject({ status: 409, code: 'conversation_not_running' });
    await expect(client.conversations.confirm(plain.id, { approve: true })).rejects.toMatchObject({ status: 409, code: 'not_awaiting_confirmation' });
    await expect(client.conversations.messages.create(withAgent.id, { content: 'hi' })).rejects.toMatchObject({ code: 'agent_not_running' });

    stack.llm.setScript([turns.text('Hello there.')]);
    const message = await client.conversations.messages.create(plain.id, { content: 'hi' });
    expect(message).toMatchObject({ type: 'message', role: 'user', content: 'hi', seq: 1 });
    await eventually(async () => (await client.conversations.get(plain.id)).state === 'idle' && (await client.conversations.events.lastSeq(plain.id)) > 2);

    const messages = [];
    for await (const item of client.conversations.messages.list(plain.id, { limit: 1 })) messages.push(`${item.role}:${item.content}`);
    expect(messages).toEqual(['user:hi', 'assistant:Hello there.']);
    const events = [];
    for await (const event of client.conversations.events.list(plain.id, { limit: 2 })) events.push(event);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect((await client.conversations.events.list(plain.id, { after: 1 })).data[0]!.seq).toBe(2);
    expect(await client.conversations.events.lastSeq(plain.id)).toBe(events.length);

    await client.conversations.delete(plain.id);
    await expect(client.conversations.get(plain.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('stop and confirm while a run is going', async () => {
    const { client } = await stack.user('stop-confirm');
    stack.llm.setScript([turns.hang()]);
    const conversation = await client.conversations.create();
    await client.conversations.messages.create(conversation.id, { content: 'think forever' });
    await eventually(async () => (await client.conversations.get(conversation.id)).state === 'running');
    await expect(client.conversations.messages.create(conversation.id, { content: 'again' })).rejects.toMatchObject({ code: 'conversation_busy' });
    expect((await client.conversations.stop(conversation.id)).id).toBe(conversation.id);
    await eventually(async () => (await client.conversations.get(conversation.id)).state === 'stopped');

    await client.settings.update({ confirmation_mode: true });
    stack.llm.setScript([turns.toolCall('execute_bash', { command: 'echo confirmed' }), turns.toolCall('finish', { message: 'ok' })]);
    await client.conversations.messages.create(conversation.id, { content: 'run it' });
    await eventually(async () => (await client.conversations.get(conversation.id)).state === 'awaiting_confirmation');
    await client.conversations.confirm(conversation.id, { approve: true });
    await eventually(async () => (await client.conversations.get(conversation.id)).state === 'finished', 20_000);
    const observations = (await client.conversations.events.list(conversation.id, { limit: 1000 })).data.filter((event) => event.type === 'observation');
    expect(observations.find((event) => event.content.includes('confirmed'))).toMatchObject({ type: 'observation', exit_code: 0 });
  });
});

describe('settings, secrets, api keys', () => {
  test('settings get, update, llmTest', async () => {
    const { client } = await stack.user('settings');
    const settings = await client.settings.get();
    expect(settings).toMatchObject({ llm_model: 'scripted', has_llm_api_key: true, confirmation_mode: false });
    expect(await client.settings.update({ max_iterations: 7, llm_api_key: null })).toMatchObject({ max_iterations: 7, has_llm_api_key: false });
    stack.llm.setScript([turns.text('ok')]);
    expect(await client.settings.llmTest()).toMatchObject({ ok: true, model: 'scripted' });
    expect(await client.settings.llmTest({ llm_base_url: 'http://127.0.0.1:9/v1' })).toMatchObject({ ok: false });
  });

  test('secrets list, create, delete; 409 secret_exists', async () => {
    const { client } = await stack.user('secrets');
    const secret = await client.secrets.create({ name: 'TOKEN_A', value: 's3cret', description: 'a' });
    await client.secrets.create({ name: 'TOKEN_B', value: 's3cret' });
    expect(secret).toMatchObject({ name: 'TOKEN_A', description: 'a' });
    expect(JSON.stringify(secret)).not.toContain('s3cret');
    await expect(client.secrets.create({ name: 'TOKEN_A', value: 'x' })).rejects.toSatisfy(
      (error) => error instanceof ConflictError && error.code === 'secret_exists',
    );
    const names = [];
    for await (const item of client.secrets.list({ limit: 1 })) names.push(item.name);
    expect(names.sort()).toEqual(['TOKEN_A', 'TOKEN_B']);
    await client.secrets.delete(secret.id);
    expect((await client.secrets.list()).data.map((item) => item.name)).toEqual(['TOKEN_B']);
    await expect(client.secrets.delete(secret.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('api keys list, create, delete; a client authenticated by API key', async () => {
    const { client, token } = await stack.user('keys');
    const created = await client.apiKeys.create({ name: 'backend', scopes: ['manage'], expires_in_days: 30 });
    expect(created).toMatchObject({ scopes: ['manage'], agent_ids: null });
    expect(created.key).toMatch(/^metis_/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const listed = await client.apiKeys.list();
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).not.toHaveProperty('key');

    const server = new MetisClient({ baseUrl: stack.url, apiKey: created.key });
    expect((await server.auth.profile()).id).toBe(token.user.id);
    const agent = await server.agents.create({ name: 'via-key' });
    expect((await client.agents.get(agent.id)).name).toBe('via-key');

    // A key may not manage keys: 403 insufficient_scope, naming the scope it would need.
    await expect(server.apiKeys.create({ name: 'minted by a key', scopes: ['read'] })).rejects.toSatisfy(
      (error) =>
        error instanceof PermissionDeniedError &&
        error.code === 'insufficient_scope' &&
        (error.body as { error: { required_scope?: string } }).error.required_scope === 'session',
    );
    const reader = await client.apiKeys.create({ name: 'reader', scopes: ['read'], agent_ids: [agent.id] });
    const readOnly = new MetisClient({ baseUrl: stack.url, apiKey: reader.key });
    expect((await readOnly.agents.list()).data.map((item) => item.id)).toEqual([agent.id]);
    await expect(readOnly.agents.create({ name: 'nope' })).rejects.toMatchObject({ status: 403, code: 'insufficient_scope' });

    await client.apiKeys.delete(created.id);
    await client.apiKeys.delete(reader.id);
    await expect(server.auth.profile()).rejects.toBeInstanceOf(AuthenticationError);
    expect((await client.apiKeys.list()).data).toHaveLength(0);
  });

  test('sessions: list, end one, end all others', async () => {
    const { client, email } = await stack.user('sessions');
    const phone = stack.client();
    await phone.auth.login({ email, password: PASSWORD });
    const laptop = stack.client();
    await laptop.auth.login({ email, password: PASSWORD });
    const sessions = await client.auth.sessions.list();
    expect(sessions).toHaveLength(3);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    const phoneSession = (await phone.auth.sessions.list()).find((session) => session.current)!;
    await client.auth.sessions.delete(phoneSession.id);
    await expect(phone.auth.profile()).rejects.toBeInstanceOf(AuthenticationError);
    await client.auth.sessions.deleteOthers();
    await expect(laptop.auth.profile()).rejects.toBeInstanceOf(AuthenticationError);
    expect(await client.auth.sessions.list()).toEqual([expect.objectContaining({ current: true })]);
  });
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Http, registerUser, type Reply } from '../support/http.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

let server: ApiServer;
/** Every reply of this file, to check that no secret value ever comes back. */
const replies: Reply[] = [];
let http: Http;
beforeAll(async () => {
  server = await startApiServer();
  http = new Http(server.url, undefined, (reply) => replies.push(reply));
});
afterAll(() => server.close());

/** Rows of the server's database, read directly. */
async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const EMPTY_SETTINGS = {
  llm_model: null,
  llm_base_url: null,
  has_llm_api_key: false,
  max_iterations: null,
  confirmation_mode: false,
  llm_idle_timeout_seconds: null,
  llm_timeout_seconds: null,
  updated_at: null,
};

describe('settings', () => {
  const LLM_KEY = 'sk-live-llm-key-4f1d9c2e7a';

  test('start empty', async () => {
    const alice = await registerUser(http, 'settings-empty');
    const reply = await alice.http.get('/api/v1/settings');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(EMPTY_SETTINGS);
  });

  test('PUT changes only the given fields; null clears one', async () => {
    const alice = await registerUser(http, 'settings');
    const first = await alice.http.put('/api/v1/settings', { llm_model: 'gpt-test', llm_base_url: 'https://llm.example/v1' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      ...EMPTY_SETTINGS,
      llm_model: 'gpt-test',
      llm_base_url: 'https://llm.example/v1',
      updated_at: expect.any(String),
    });
    const second = await alice.http.put('/api/v1/settings', { max_iterations: 30, confirmation_mode: true });
    expect(second.body).toMatchObject({ llm_model: 'gpt-test', llm_base_url: 'https://llm.example/v1', max_iterations: 30, confirmation_mode: true });
    const third = await alice.http.put('/api/v1/settings', { llm_model: null });
    expect(third.body).toMatchObject({ llm_model: null, llm_base_url: 'https://llm.example/v1', max_iterations: 30 });
    const empty = await alice.http.put('/api/v1/settings', {});
    expect(empty.status).toBe(200);
    const { updated_at: _a, ...readBack } = (await alice.http.get('/api/v1/settings')).body;
    const { updated_at: _b, ...expected } = third.body;
    expect(readBack).toEqual(expected);
  });

  test('the LLM API key is write-only: has_llm_api_key says whether one is set, null clears it', async () => {
    const alice = await registerUser(http, 'settings-key');
    const set = await alice.http.put('/api/v1/settings', { llm_api_key: LLM_KEY });
    expect(set.status).toBe(200);
    expect(set.body.has_llm_api_key).toBe(true);
    expect(set.body).not.toHaveProperty('llm_api_key');
    expect((await alice.http.get('/api/v1/settings')).body.has_llm_api_key).toBe(true);
    // Other changes leave the key alone.
    expect((await alice.http.put('/api/v1/settings', { llm_model: 'm' })).body.has_llm_api_key).toBe(true);
    const cleared = await alice.http.put('/api/v1/settings', { llm_api_key: null });
    expect(cleared.body.has_llm_api_key).toBe(false);
    expect((await alice.http.get('/api/v1/settings')).body.has_llm_api_key).toBe(false);
    // Set again for the encryption check below.
    await alice.http.put('/api/v1/settings', { llm_api_key: LLM_KEY });
    const rows = await query<{ llm_api_key_encrypted: string }>('select llm_api_key_encrypted from settings where user_id = $1', [alice.user.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.llm_api_key_encrypted).toBeTruthy();
    expect(rows[0]!.llm_api_key_encrypted).not.toContain(LLM_KEY);
    expect(rows[0]!.llm_api_key_encrypted).not.toContain(Buffer.from(LLM_KEY).toString('base64').slice(0, 16));
  });

  test('an LLM API key that no HTTP header can carry (a pasted "sk-…", spaces) is 400 naming llm_api_key, for settings and llm-test', async () => {
    const alice = await registerUser(http, 'settings-key-ascii');
    for (const bad of ['sk-…', 'sk live key', 'ключ']) {
      for (const reply of [
        await alice.http.put('/api/v1/settings', { llm_api_key: bad }),
        await alice.http.post('/api/v1/settings/llm-test', { llm_api_key: bad, llm_base_url: 'http://127.0.0.1:9/v1', llm_model: 'm' }),
      ]) {
        expect(reply.status, bad).toBe(400);
        expect(reply.body.error.details, bad).toEqual([expect.objectContaining({ path: 'llm_api_key' })]);
      }
    }
    expect((await alice.http.get('/api/v1/settings')).body.has_llm_api_key).toBe(false);
  });

  test.each([
    [{ llm_base_url: 'not a url' }, 'llm_base_url'],
    [{ llm_base_url: 'ftp://files.example' }, 'llm_base_url'],
    [{ llm_base_url: 5 }, 'llm_base_url'],
    [{ max_iterations: 0 }, 'max_iterations'],
    [{ max_iterations: 'ten' }, 'max_iterations'],
    [{ confirmation_mode: 'yes' }, 'confirmation_mode'],
    [{ llm_model: '' }, 'llm_model'],
    [{ llm_api_key: '' }, 'llm_api_key'],
    [{ has_llm_api_key: true }, 'has_llm_api_key'],
    [{ llm_idle_timeout_seconds: 0.01 }, 'llm_idle_timeout_seconds'],
    [{ llm_timeout_seconds: 100_000 }, 'llm_timeout_seconds'],
  ])('%j is a 400 naming %s', async (body, path) => {
    const alice = await registerUser(http, 'settings-bad');
    const reply = await alice.http.put('/api/v1/settings', body);
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
    expect((await alice.http.get('/api/v1/settings')).body).toEqual(EMPTY_SETTINGS);
  });
});

describe('secrets', () => {
  const VALUE = 'ghp_super-secret-value-93a7c1';
  let alice: Awaited<ReturnType<typeof registerUser>>;
  beforeAll(async () => {
    alice = await registerUser(http, 'secrets');
  });

  test('create answers 201 without the value; list shows names only', async () => {
    const reply = await alice.http.post('/api/v1/secrets', { name: 'GITHUB_TOKEN', value: VALUE, description: 'for git push' });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      id: expect.any(String),
      name: 'GITHUB_TOKEN',
      description: 'for git push',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const list = await alice.http.get('/api/v1/secrets');
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([reply.body]);
  });

  test('a duplicate name is a 409', async () => {
    expect((await alice.http.post('/api/v1/secrets', { name: 'DUP', value: VALUE })).status).toBe(201);
    const again = await alice.http.post('/api/v1/secrets', { name: 'DUP', value: `${VALUE}-2` });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('secret_exists');
    expect(again.body.error.details).toEqual([expect.objectContaining({ path: 'name' })]);
    // Another user may use the same name.
    const bob = await registerUser(http, 'secrets-bob');
    expect((await bob.http.post('/api/v1/secrets', { name: 'DUP', value: VALUE })).status).toBe(201);
  });

  test.each(['1ABC', 'A-B', 'A B', '', 'É'])('the name %j is a 400 naming name', async (name) => {
    const reply = await alice.http.post('/api/v1/secrets', { name, value: VALUE });
    expect(reply.status).toBe(400);
    expect(new Set(reply.body.error.details.map((d: { path: string }) => d.path))).toEqual(new Set(['name']));
  });

  test.each([
    [{ name: 'EMPTY', value: '' }, 'value'],
    [{ name: 'NUMBER', value: 42 }, 'value'],
    [{ name: 'NOVALUE' }, 'value'],
    [{ name: 'EXTRA', value: VALUE, shared: true }, 'shared'],
  ])('%j is a 400 naming %s', async (body, path) => {
    const reply = await alice.http.post('/api/v1/secrets', body);
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
  });

  test('DELETE answers 204, frees the name, and a second DELETE is a 404', async () => {
    const secret = (await alice.http.post('/api/v1/secrets', { name: 'TEMP', value: VALUE })).body;
    expect((await alice.http.delete(`/api/v1/secrets/${secret.id}`)).status).toBe(204);
    expect((await alice.http.get('/api/v1/secrets?limit=100')).body.data.map((s: { id: string }) => s.id)).not.toContain(secret.id);
    const second = await alice.http.delete(`/api/v1/secrets/${secret.id}`);
    expect(second.status).toBe(404);
    expect(second.body.error.code).toBe('not_found');
    expect((await alice.http.post('/api/v1/secrets', { name: 'TEMP', value: VALUE })).status).toBe(201);
  });

  test('values are encrypted at rest', async () => {
    const rows = await query<{ name: string; value_encrypted: string }>('select name, value_encrypted from secrets where user_id = $1', [alice.user.id]);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      expect(row.value_encrypted, row.name).not.toContain(VALUE);
      expect(row.value_encrypted).not.toContain(Buffer.from(VALUE).toString('base64').slice(0, 16));
      expect(row.value_encrypted).not.toContain(Buffer.from(VALUE).toString('base64url').slice(0, 16));
    }
    // Each value is sealed with its own nonce: two rows of the same value differ.
    expect(new Set(rows.map((row) => row.value_encrypted)).size).toBe(rows.length);
  });

  test('no reply of this file ever carried a secret value', () => {
    expect(replies.length).toBeGreaterThan(20);
    for (const reply of replies) {
      expect(reply.text).not.toContain(VALUE);
      expect(reply.text).not.toContain('sk-live-llm-key-4f1d9c2e7a');
    }
  });
});

describe('idempotent replays', () => {
  test('a stored answer holding a credential is encrypted at rest and still replays', async () => {
    const carol = await registerUser(http, 'carol');
    const first = await carol.http.post('/api/v1/api-keys', { name: 'ci', scopes: ['read'] }, { 'Idempotency-Key': 'key-once' });
    expect(first.status).toBe(201);
    const again = await carol.http.post('/api/v1/api-keys', { name: 'ci', scopes: ['read'] }, { 'Idempotency-Key': 'key-once' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.key).toBe(first.body.key);
    const rows = await query<{ response_body: string }>('select response_body from idempotency_keys where key = $1', ['key-once']);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.response_body).not.toContain(first.body.key);
    expect(rows[0]!.response_body).not.toContain(first.body.id);
  });
});

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Http, registerUser } from '../support/http.ts';
import { MISSING_ID, startApiServer, type ApiServer } from './api-server.ts';

// The API additions the web console needs: `field` on error bodies, PUT /secrets/{id}, conversation filters,
// GET /usage and GET /approvals.

let server: ApiServer;
let http: Http;
beforeAll(async () => {
  server = await startApiServer();
  http = new Http(server.url);
});
afterAll(() => server.close());

/** Runs SQL on the server's database (to seed LLM calls and a paused run, which need a model and a sandbox otherwise). */
async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('field on error bodies', () => {
  test('one field at fault is named as `field`; several are not', async () => {
    const alice = await registerUser(http, 'field');
    const one = await alice.http.put('/api/v1/settings', { llm_base_url: 'not a url' });
    expect(one.status).toBe(400);
    expect(one.body.error).toMatchObject({ code: 'validation_error', field: 'llm_base_url', details: [{ path: 'llm_base_url' }] });
    const two = await alice.http.put('/api/v1/settings', { llm_base_url: 'not a url', max_iterations: 0 });
    expect(two.body.error.details).toHaveLength(2);
    expect(two.body.error).not.toHaveProperty('field');
    const taken = await http.post('/api/v1/auth/register', { email: alice.email, password: 'another fine password' });
    expect(taken.body.error).toMatchObject({ code: 'email_taken', field: 'email' });
  });

  test('llm-test points at the setting at fault: the base URL where nothing answers, the model when none is set', async () => {
    const alice = await registerUser(http, 'llm-field');
    const unset = await alice.http.post('/api/v1/settings/llm-test', {});
    expect(unset.status).toBe(400);
    expect(unset.body.error).toMatchObject({ code: 'llm_not_configured', field: 'llm_model' });
    // Port 9 (discard) answers nothing on this machine: the connection is refused.
    const refused = await alice.http.post('/api/v1/settings/llm-test', { llm_model: 'm', llm_base_url: 'http://127.0.0.1:9/v1' });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ ok: false, error: { code: 'llm_unreachable', field: 'llm_base_url' } });
  });
});

describe('PUT /secrets/{id}', () => {
  test('replaces the value (never returned) and keeps the name; another user’s secret is a 404', async () => {
    const alice = await registerUser(http, 'secret-put');
    const created = await alice.http.post('/api/v1/secrets', { name: 'API_TOKEN', value: 'first-value-123', description: 'old' });
    expect(created.status).toBe(201);
    const [before] = await sql<{ value_encrypted: string }>('select value_encrypted from secrets where id = $1', [created.body.id]);
    const updated = await alice.http.put(`/api/v1/secrets/${created.body.id}`, { value: 'second-value-456' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: created.body.id, name: 'API_TOKEN', description: 'old' });
    expect(updated.text).not.toContain('second-value-456');
    const [after] = await sql<{ value_encrypted: string }>('select value_encrypted from secrets where id = $1', [created.body.id]);
    expect(after!.value_encrypted).not.toBe(before!.value_encrypted);
    expect((await alice.http.put(`/api/v1/secrets/${created.body.id}`, { value: 'x', description: null })).body.description).toBeNull();

    const bob = await registerUser(http, 'secret-put-bob');
    expect((await bob.http.put(`/api/v1/secrets/${created.body.id}`, { value: 'stolen' })).status).toBe(404);
    expect((await alice.http.put(`/api/v1/secrets/${MISSING_ID}`, { value: 'x' })).status).toBe(404);
    const bad = await alice.http.put(`/api/v1/secrets/${created.body.id}`, { value: '', name: 'OTHER' });
    expect(bad.status).toBe(400);
  });
});

describe('conversation filters', () => {
  test('state, title words (case-insensitive, literal % and _) and agent combine', async () => {
    const alice = await registerUser(http, 'filters');
    const titles = ['Fix the Login page', 'login tests', 'Deploy 100% of it', 'deploy_script', 'Untouched'];
    const ids: Record<string, string> = {};
    for (const title of titles) ids[title] = (await alice.http.post('/api/v1/conversations', { title })).body.id;
    await sql("update conversations set state = 'finished' where id = $1", [ids['login tests']]);
    const titlesOf = async (query: string) =>
      ((await alice.http.get(`/api/v1/conversations?${query}`)).body.data as { title: string }[]).map((c) => c.title).sort();
    expect(await titlesOf('q=LOGIN')).toEqual(['Fix the Login page', 'login tests']);
    expect(await titlesOf('q=login%20page')).toEqual(['Fix the Login page']);
    expect(await titlesOf('q=login&state=finished')).toEqual(['login tests']);
    expect(await titlesOf('state=idle')).toEqual(['Deploy 100% of it', 'Fix the Login page', 'Untouched', 'deploy_script']);
    expect(await titlesOf(`q=${encodeURIComponent('100%')}`)).toEqual(['Deploy 100% of it']);
    expect(await titlesOf('q=y_s')).toEqual(['deploy_script']);
    expect(await titlesOf('q=nothing-like-this')).toEqual([]);
    const bad = await alice.http.get('/api/v1/conversations?state=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('state');
    // Another user's titles never match.
    const bob = await registerUser(http, 'filters-bob');
    expect(((await bob.http.get('/api/v1/conversations?q=login')).body.data as unknown[]).length).toBe(0);
  });
});

describe('GET /usage', () => {
  test('tokens per day from the stored LLM calls: every day listed, only the caller’s, days in the requested zone', async () => {
    const alice = await registerUser(http, 'usage');
    const bob = await registerUser(http, 'usage-bob');
    const mine = (await alice.http.post('/api/v1/conversations', {})).body.id;
    const theirs = (await bob.http.post('/api/v1/conversations', {})).body.id;
    const [{ today }] = (await sql<{ today: string }>(`select to_char((now() at time zone 'UTC')::date, 'YYYY-MM-DD') as today`)) as [{ today: string }];
    const day = (offset: number) => {
      const date = new Date(`${today}T00:00:00Z`);
      date.setUTCDate(date.getUTCDate() - offset);
      return date.toISOString().slice(0, 10);
    };
    const call = (conversation: string, at: string, prompt: number, completion: number) =>
      sql('insert into llm_calls (conversation_id, model, prompt_tokens, completion_tokens, created_at) values ($1, $2, $3, $4, $5)', [
        conversation,
        'm',
        prompt,
        completion,
        at,
      ]);
    await call(mine, `${day(0)}T01:00:00Z`, 100, 10);
    await call(mine, `${day(0)}T02:00:00Z`, 50, 5);
    await call(mine, `${day(2)}T23:30:00Z`, 7, 3);
    await call(mine, `${day(20)}T12:00:00Z`, 999, 999); // outside the 14 days
    await call(theirs, `${day(0)}T01:00:00Z`, 1000, 1000);

    const reply = await alice.http.get('/api/v1/usage');
    expect(reply.status).toBe(200);
    expect(reply.body.time_zone).toBe('UTC');
    expect(reply.body.data).toHaveLength(14);
    expect(reply.body.data[0].date).toBe(day(13));
    expect(reply.body.data.at(-1)).toEqual({ date: day(0), prompt_tokens: 150, completion_tokens: 15, total_tokens: 165, llm_calls: 2 });
    expect(reply.body.data.at(-3)).toEqual({ date: day(2), prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, llm_calls: 1 });
    expect(reply.body.data.at(-2)).toEqual({ date: day(1), prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, llm_calls: 0 });
    const total = (reply.body.data as { total_tokens: number }[]).reduce((sum, entry) => sum + entry.total_tokens, 0);
    expect(total).toBe(175);

    // 23:30 UTC is the next day in Shanghai (UTC+8).
    const shanghai = await alice.http.get('/api/v1/usage?days=30&tz=Asia/Shanghai');
    expect(shanghai.body.time_zone).toBe('Asia/Shanghai');
    expect(shanghai.body.data).toHaveLength(30);
    expect((shanghai.body.data as { date: string; total_tokens: number }[]).find((entry) => entry.date === day(1))?.total_tokens).toBe(10);
    expect((await alice.http.get('/api/v1/usage?tz=Mars/Olympus')).body.error).toMatchObject({ code: 'validation_error', field: 'tz' });
    expect((await alice.http.get('/api/v1/usage?days=0')).status).toBe(400);
  });
});

describe('GET /approvals', () => {
  test('the first unanswered action of each conversation awaiting confirmation, only the caller’s', async () => {
    const alice = await registerUser(http, 'approvals');
    const waiting = (await alice.http.post('/api/v1/conversations', { title: 'waits' })).body.id;
    const idle = (await alice.http.post('/api/v1/conversations', { title: 'idle' })).body.id;
    // The log of a run paused in confirmation mode: a done step, then two actions of one reply, the first awaiting.
    const events: [string, string, Record<string, unknown>][] = [
      [waiting, 'message', { role: 'user', content: 'go' }],
      [waiting, 'action', { tool_call_id: 'call00001', tool: 'execute_bash', args: { command: 'ls' } }],
      [waiting, 'observation', { tool_call_id: 'call00001', content: 'a b', exit_code: 0 }],
      [waiting, 'action', { tool_call_id: 'call00002', tool: 'execute_bash', args: { command: 'rm -rf build' } }],
      [waiting, 'action', { tool_call_id: 'call00003', tool: 'execute_bash', args: { command: 'make' } }],
      [idle, 'action', { tool_call_id: 'call00009', tool: 'execute_bash', args: { command: 'true' } }],
    ];
    for (const [conversation, type, payload] of events) {
      await sql(
        `with next as (update conversations set last_seq = last_seq + 1 where id = $1 returning last_seq)
         insert into events (id, conversation_id, seq, type, payload, created_at) select gen_random_uuid(), $1, last_seq, $2, $3, now() from next`,
        [conversation, type, payload],
      );
    }
    await sql("update conversations set state = 'awaiting_confirmation' where id = $1", [waiting]);
    const reply = await alice.http.get('/api/v1/approvals');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ has_more: false, next_after: null });
    expect(reply.body.data).toHaveLength(1);
    expect(reply.body.data[0]).toMatchObject({
      conversation: { id: waiting, title: 'waits', state: 'awaiting_confirmation' },
      action: { type: 'action', tool_call_id: 'call00002', args: { command: 'rm -rf build' }, seq: 4 },
    });
    const bob = await registerUser(http, 'approvals-bob');
    expect((await bob.http.get('/api/v1/approvals')).body.data).toEqual([]);
  });
});

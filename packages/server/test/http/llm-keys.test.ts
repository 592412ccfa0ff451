import { startScriptedLlm, type ScriptedLlm } from '@metisai/scripted-llm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Http, registerUser } from '../support/http.ts';
import { type ApiServer, startApiServer } from './api-server.ts';

/** The operator's LLM key goes only to the operator's LLM URL, never to an endpoint a user picks. */
let operatorLlm: ScriptedLlm;
let userLlm: ScriptedLlm;
let server: ApiServer;
beforeAll(async () => {
  operatorLlm = await startScriptedLlm({ script: () => ({ content: 'ok' }), apiKey: 'sk-operator' });
  userLlm = await startScriptedLlm({ script: () => ({ content: 'ok' }) });
  server = await startApiServer({ env: { LLM_MODEL: 'scripted', LLM_BASE_URL: operatorLlm.url, LLM_API_KEY: 'sk-operator' } });
});
afterAll(async () => {
  await server?.close();
  await operatorLlm?.close();
  await userLlm?.close();
});

const authorizations = (llm: ScriptedLlm) => llm.requests.map((request) => request.headers.authorization);

test("with the server's defaults, llm-test reaches the operator's endpoint with the operator's key", async () => {
  const { http } = await registerUser(new Http(server.url), 'keys-a');
  expect((await http.post('/api/v1/settings/llm-test', {})).body).toMatchObject({ ok: true, base_url: operatorLlm.url });
});

test("a user who sets only llm_base_url does not receive the operator's key there (settings, agent config, overrides)", async () => {
  const { http } = await registerUser(new Http(server.url), 'keys-b');
  const before = userLlm.requests.length;
  expect((await http.put('/api/v1/settings', { llm_base_url: userLlm.url })).status).toBe(200);
  expect((await http.post('/api/v1/settings/llm-test', {})).body).toMatchObject({ ok: true, base_url: userLlm.url });
  const agent = await http.post('/api/v1/agents', { name: 'elsewhere', config: { llm_base_url: userLlm.url } });
  expect((await http.post(`/api/v1/agents/${agent.body.id}/llm-test`)).body).toMatchObject({ ok: true });
  expect((await http.put('/api/v1/settings', { llm_base_url: null })).status).toBe(200);
  expect((await http.post('/api/v1/settings/llm-test', { llm_base_url: userLlm.url })).body).toMatchObject({ ok: true });
  const seen = authorizations(userLlm).slice(before);
  expect(seen).toHaveLength(3);
  expect(seen.join(' ')).not.toContain('sk-operator');
});

test("the user's own key goes to the user's endpoint; an overriding URL without a key gets none", async () => {
  const { http } = await registerUser(new Http(server.url), 'keys-c');
  const before = userLlm.requests.length;
  expect((await http.put('/api/v1/settings', { llm_base_url: userLlm.url, llm_api_key: 'sk-user-own' })).status).toBe(200);
  await http.post('/api/v1/settings/llm-test', {});
  await http.post('/api/v1/settings/llm-test', { llm_base_url: userLlm.url });
  expect(authorizations(userLlm).slice(before)).toEqual(['Bearer sk-user-own', 'Bearer none']);
});

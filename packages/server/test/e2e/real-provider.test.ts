import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventsOf, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { newConversation } from './e2e-helpers.ts';

/** Only with a real key: a tiny task against OpenAI (or LLM_BASE_URL), to catch protocol drift the scripted LLM hides. */
describe.skipIf(!process.env.OPENAI_API_KEY)('a real provider', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await startRuntime();
    const settings = await rt.http.put('/api/v1/settings', {
      llm_model: process.env.LLM_MODEL || 'gpt-4.1-mini',
      llm_base_url: process.env.LLM_BASE_URL || 'https://api.openai.com/v1',
      llm_api_key: process.env.OPENAI_API_KEY,
    });
    expect(settings.status).toBe(200);
  });
  afterAll(() => rt?.close());

  test('writes a file with a command and finishes', async () => {
    const id = await newConversation(rt.http);
    await rt.http.post(`/api/v1/conversations/${id}/messages`, {
      content: 'Use execute_bash to run exactly: echo 42 > answer.txt && cat answer.txt . Then call the finish tool.',
    });
    const done = await waitForState(rt.http, id, ['finished', 'error', 'idle'], 120_000);
    const events = await eventsOf(rt.http, id);
    expect(done.state, JSON.stringify(events.filter((event) => event.type === 'error'))).toBe('finished');
    const observation = events.find((event) => event.type === 'observation' && event.content.includes('42'));
    expect(observation).toBeDefined();
    expect(done.usage.total_tokens).toBeGreaterThan(0);
  }, 180_000);
});

import OpenAI from 'openai';
import type { LlmTestResult } from '@metisai/sdk/schemas';
import type { LlmSettings } from '../agent/index.ts';

/** A one-token call to the endpoint: answers whether the key, URL and model work, or the provider's complaint. */
export async function testLlm(llm: LlmSettings, timeoutMs = 20_000): Promise<LlmTestResult> {
  const started = performance.now();
  const client = new OpenAI({ baseURL: llm.baseURL, apiKey: llm.apiKey, maxRetries: 0, timeout: timeoutMs });
  const result = (error: LlmTestResult['error']): LlmTestResult => ({
    ok: !error,
    model: llm.model,
    base_url: llm.baseURL,
    latency_ms: Math.round(performance.now() - started),
    error,
  });
  try {
    await client.chat.completions.create({ model: llm.model, messages: [{ role: 'user', content: 'Reply with: ok' }], max_tokens: 1 });
    return result(null);
  } catch (error) {
    if (error instanceof OpenAI.APIError && error.status !== undefined) {
      return result({ status: error.status, code: error.code ?? `http_${error.status}`, message: error.message });
    }
    return result({ status: null, code: 'connection_error', message: error instanceof Error ? error.message : String(error) });
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { AgentConfig, LlmTestResult } from '@metisai/sdk/schemas';
import OpenAI from 'openai';
import type { LlmSettings } from '../agent/index.ts';
import { classifyLlmError } from '../agent/llm-errors.ts';
import type { LlmOverrides, RunSettingsService } from './run-settings.ts';

/** How long a test call may take before it is reported as `llm_timeout`. */
export const LLM_TEST_TIMEOUT_MS = 20_000;

/** `POST /settings/llm-test` and `POST /agents/{id}/llm-test`: does the resolved LLM endpoint answer? */
export class LlmTestService {
  readonly #runSettings: RunSettingsService;

  constructor(runSettings: RunSettingsService) {
    this.#runSettings = runSettings;
  }

  /**
   * Resolves the endpoint as a run would (throws `LlmNotConfiguredError`, a 400, when nothing resolves), then makes a
   * one-token call. A failure is a result, not an error: `error.code` is classified like a run's (`LLM_ERROR_CODES`).
   */
  async test(em: EntityManager, userId: string, agentConfig: AgentConfig | null, overrides: LlmOverrides = {}): Promise<LlmTestResult> {
    return testLlm(await this.#runSettings.resolveLlm(em, userId, agentConfig, overrides));
  }
}

/** A one-token call to the endpoint: answers whether the key, URL and model work, or the provider's complaint. */
export async function testLlm(llm: LlmSettings, timeoutMs = LLM_TEST_TIMEOUT_MS): Promise<LlmTestResult> {
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
    const status = error instanceof OpenAI.APIError && error.status !== undefined ? error.status : null;
    return result({ status, code: classifyLlmError(error), message: error instanceof Error ? error.message : String(error) });
  }
}

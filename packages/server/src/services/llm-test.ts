import type { EntityManager } from '@mikro-orm/postgresql';
import type { AgentConfig, LlmTestResult } from '@metisai/sdk/schemas';
import { APIError } from 'openai';
import type { LlmSettings } from '../agent/index.ts';
import { streamCompletion } from '../agent/llm.ts';
import { createLlmClient } from '../agent/llm-client.ts';
import { classifyLlmError, describeEgressRefusal, describeLlmError, LlmStreamError } from '../agent/llm-errors.ts';
import { SecretMasker } from '../agent/secret-masker.ts';
import { egressRefusalOf } from '../security/egress-guard.ts';
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

/**
 * The setting a failed test points at, when one user setting is the likely culprit: the base URL when nothing answered
 * there, the key when it was refused, the model when the endpoint does not know it. Absent: the server's own setting,
 * or no single one.
 */
function fieldOf(code: string, llm: LlmSettings): string | undefined {
  switch (code) {
    case 'llm_unreachable':
    case 'llm_timeout':
      return llm.baseUrlField;
    case 'llm_auth':
      return llm.apiKeyField;
    case 'llm_model_not_found':
      return llm.modelField;
    default:
      return undefined;
  }
}

/**
 * A short streamed call to the endpoint, shaped like a run's (same client, same `stream: true` request, no
 * `max_tokens`, which reasoning models refuse or spend on thinking): reading stops at the first chunk. Answers whether
 * the key, URL and model work, or the provider's complaint, classified and described like a run's (masked, capped).
 */
export async function testLlm(llm: LlmSettings, timeoutMs = LLM_TEST_TIMEOUT_MS): Promise<LlmTestResult> {
  const started = performance.now();
  const client = createLlmClient({ baseURL: llm.baseURL, apiKey: llm.apiKey, timeoutMs, fetch: llm.fetch });
  const masker = new SecretMasker({ LLM_API_KEY: llm.apiKey === 'none' ? '' : llm.apiKey });
  const result = (error: LlmTestResult['error']): LlmTestResult => ({
    ok: !error,
    model: llm.model,
    base_url: llm.baseURL,
    latency_ms: Math.round(performance.now() - started),
    error,
  });
  try {
    await streamCompletion(client, {
      model: llm.model,
      messages: [{ role: 'user', content: 'Reply with: ok' }],
      idleTimeoutMs: timeoutMs,
      timeoutMs,
      until: 'first_chunk',
    });
    return result(null);
  } catch (error) {
    const refusal = egressRefusalOf(error);
    if (refusal) {
      const message = masker.mask(describeEgressRefusal(refusal, llm));
      return result({ status: null, code: 'egress_refused', message, ...(llm.baseUrlField ? { field: llm.baseUrlField } : {}) });
    }
    const status = error instanceof APIError && error.status !== undefined ? error.status : error instanceof LlmStreamError ? (error.status ?? null) : null;
    const code = classifyLlmError(error);
    const field = fieldOf(code, llm);
    return result({ status, code, message: describeLlmError(error, (text) => masker.mask(text)), ...(field ? { field } : {}) });
  }
}

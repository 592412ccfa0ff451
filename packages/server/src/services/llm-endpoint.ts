import type { LlmSettings } from '../agent/index.ts';
import { LlmNotConfiguredError } from '../errors.ts';

/** OpenAI's endpoint: where a run goes when no level sets a base URL (the `openai` client's default). */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** What each level sets (undefined: not set there). */
export interface LlmLevels {
  /** llm-test's body: values not saved yet. */
  overrides: { llm_model?: string; llm_base_url?: string; llm_api_key?: string };
  agent: { model?: string; baseUrl?: string };
  /** `apiKey`: the user's own key — their settings' key, or the agent's `llm_api_key_secret`. */
  user: { model?: string; baseUrl?: string; apiKey?: string };
  /** The server's `LLM_MODEL`, `LLM_BASE_URL`, `LLM_API_KEY`. */
  server: { model?: string; baseUrl?: string; apiKey?: string };
}

const isOpenAi = (url: string) => new URL(url).hostname === 'api.openai.com';

/**
 * The model, base URL and key of an LLM call. The model and the URL come from the first level that sets them
 * (overrides, agent, user, server); with no URL anywhere, OpenAI's, as the `openai` client does.
 *
 * A key goes only where its owner may send it:
 * - the user's key goes to the URL the user's levels chose (agent or settings), or to the server's or OpenAI's;
 * - the server's `LLM_API_KEY` goes only to the server's `LLM_BASE_URL`, or to OpenAI's when no level (the server
 *   included) set a URL — never to a URL a user chose;
 * - an override URL without an override key is sent no key at all.
 *
 * Throws `LlmNotConfiguredError` naming what to set: no model at any level, or no key for OpenAI's endpoint.
 * Another endpoint without a key is called with the placeholder key `none` (Ollama, vLLM and LM Studio take none).
 */
export function chooseLlmEndpoint({ overrides, agent, user, server }: LlmLevels): LlmSettings {
  const model = overrides.llm_model ?? agent.model ?? user.model ?? server.model;
  let baseURL: string;
  let apiKey: string | undefined;
  if (overrides.llm_base_url) {
    baseURL = overrides.llm_base_url;
    apiKey = overrides.llm_api_key;
  } else {
    const userUrl = agent.baseUrl ?? user.baseUrl;
    baseURL = userUrl ?? server.baseUrl ?? OPENAI_BASE_URL;
    apiKey = overrides.llm_api_key ?? user.apiKey ?? (userUrl === undefined ? server.apiKey : undefined);
  }
  if (!model) {
    throw new LlmNotConfiguredError("No LLM model configured: set llm_model in the agent's config or in PUT /api/v1/settings, or LLM_MODEL on the server");
  }
  if (apiKey === undefined && isOpenAi(baseURL)) {
    throw new LlmNotConfiguredError(
      `No API key for ${baseURL}: set llm_api_key in PUT /api/v1/settings (or llm_api_key_secret in the agent's config), or set llm_base_url to an endpoint that needs none (e.g. Ollama's http://localhost:11434/v1)`,
    );
  }
  return { model, baseURL, apiKey: apiKey ?? 'none' };
}

import { ErrorCode } from '@metisai/sdk/schemas';
import type { LlmSettings } from '../agent/index.ts';
import { InvalidRequestError, LlmNotConfiguredError } from '../errors.ts';
import type { EgressGuard } from '../security/egress-guard.ts';

/** OpenAI's endpoint: where a run goes when no level sets a base URL (the `openai` client's default). */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** What each level sets (undefined: not set there). */
export interface LlmLevels {
  /** llm-test's body: values not saved yet. */
  overrides: { llm_model?: string; llm_base_url?: string; llm_api_key?: string };
  agent: { model?: string; baseUrl?: string };
  /**
   * `apiKey`: the user's own key — their settings' key, or the agent's `llm_api_key_secret` (then `apiKeyField` is
   * `config.llm_api_key_secret`).
   */
  user: { model?: string; baseUrl?: string; apiKey?: string; apiKeyField?: string };
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
 * `baseUrlField`, `modelField` and `apiKeyField` name the settings the URL, model and key came from (`llm_base_url`, or
 * `config.llm_base_url` for the agent's; absent: the server's), so a failed test can point at the field at fault.
 *
 * Throws `LlmNotConfiguredError` naming what to set: no model at any level, or no key for OpenAI's endpoint.
 * Another endpoint without a key is called with the placeholder key `none` (Ollama, vLLM and LM Studio take none).
 */
export function chooseLlmEndpoint({ overrides, agent, user, server }: LlmLevels): LlmSettings {
  const model = overrides.llm_model ?? agent.model ?? user.model ?? server.model;
  const modelField =
    overrides.llm_model !== undefined || (agent.model === undefined && user.model !== undefined)
      ? 'llm_model'
      : agent.model !== undefined
        ? 'config.llm_model'
        : undefined;
  let baseURL: string;
  let apiKey: string | undefined;
  let baseUrlField: string | undefined;
  let apiKeyField: string | undefined;
  if (overrides.llm_base_url) {
    baseURL = overrides.llm_base_url;
    apiKey = overrides.llm_api_key;
    baseUrlField = 'llm_base_url';
    apiKeyField = apiKey === undefined ? undefined : 'llm_api_key';
  } else {
    const userUrl = agent.baseUrl ?? user.baseUrl;
    baseURL = userUrl ?? server.baseUrl ?? OPENAI_BASE_URL;
    apiKey = overrides.llm_api_key ?? user.apiKey ?? (userUrl === undefined ? server.apiKey : undefined);
    baseUrlField = agent.baseUrl !== undefined ? 'config.llm_base_url' : user.baseUrl !== undefined ? 'llm_base_url' : undefined;
    apiKeyField = overrides.llm_api_key !== undefined ? 'llm_api_key' : user.apiKey !== undefined ? (user.apiKeyField ?? 'llm_api_key') : undefined;
  }
  if (!model) {
    throw new LlmNotConfiguredError(
      "No LLM model configured: set llm_model in the agent's config or in PUT /api/v1/settings, or LLM_MODEL on the server",
      'llm_model',
    );
  }
  if (apiKey === undefined && isOpenAi(baseURL)) {
    throw new LlmNotConfiguredError(
      `No API key for ${baseURL}: set llm_api_key in PUT /api/v1/settings (or llm_api_key_secret in the agent's config), or set llm_base_url to an endpoint that needs none (e.g. Ollama's http://localhost:11434/v1)`,
      'llm_api_key',
    );
  }
  return {
    model,
    baseURL,
    apiKey: apiKey ?? 'none',
    ...(baseUrlField ? { baseUrlField } : {}),
    ...(modelField ? { modelField } : {}),
    ...(apiKeyField ? { apiKeyField } : {}),
  };
}

/**
 * The save-time check of a base URL a user sets (settings, an agent's config): an IP written in it that the egress guard
 * would refuse (loopback, private, metadata, …) is a 400 `egress_refused` on `path`. Host names are checked when they
 * connect (a name can change what it resolves to), so this only spares the user a run that would fail.
 */
export function assertBaseUrlAllowed(guard: EgressGuard, url: string | null | undefined, path: string): void {
  if (!url) return;
  const refusal = guard.literalRefusal(url);
  if (!refusal) return;
  const message = `${path}: ${refusal.message}`;
  throw new InvalidRequestError(ErrorCode.egressRefused, message, { details: [{ path, message: refusal.message }] });
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { AgentConfig } from '@metisai/sdk/schemas';
import { ALL_TOOLS } from '@metisai/sdk/schemas';
import type { Config } from '../config.ts';
import { AgentEntity, type Conversation } from '../entities/index.ts';
import type { SecretService } from '../services/secrets.ts';
import type { SettingsService } from '../services/settings.ts';
import type { LlmSettings } from '../agent/index.ts';
import { ApiError } from '../http/api-error.ts';
import { ErrorCode } from '@metisai/sdk/schemas';

export const DEFAULT_MAX_ITERATIONS = 100;

/** Everything a run needs to know, resolved agent config > user settings > server defaults. */
export interface RunSettings {
  llm: LlmSettings;
  systemPrompt: string | undefined;
  maxIterations: number;
  tools: AgentConfig['tools'];
  confirmationMode: boolean;
  secrets: Record<string, string>;
  sandboxImage: string | undefined;
  idleTimeoutSeconds: number;
  agentId: string | null;
}

export class LlmNotConfiguredError extends Error {
  override name = 'LlmNotConfiguredError';
  readonly code = 'llm_not_configured';
}

export interface RunSettingsDeps {
  config: Config;
  settings: SettingsService;
  secrets: SecretService;
}

/** The LLM endpoint for a user and (optionally) an agent config. Throws `LlmNotConfiguredError` naming what is missing. */
export async function resolveLlm(
  deps: RunSettingsDeps,
  em: EntityManager,
  userId: string,
  agentConfig: AgentConfig | null,
  overrides: { llm_model?: string; llm_base_url?: string; llm_api_key?: string } = {},
): Promise<LlmSettings> {
  const user = await deps.settings.get(em, userId);
  const model = overrides.llm_model ?? agentConfig?.llm_model ?? user.llm_model ?? deps.config.llm.model;
  const baseURL = overrides.llm_base_url ?? agentConfig?.llm_base_url ?? user.llm_base_url ?? deps.config.llm.baseUrl;
  let apiKey = overrides.llm_api_key;
  if (apiKey === undefined && agentConfig?.llm_api_key_secret) {
    apiKey = (await deps.secrets.reveal(em, userId, [agentConfig.llm_api_key_secret])).get(agentConfig.llm_api_key_secret);
    if (apiKey === undefined) throw new LlmNotConfiguredError(`the secret ${agentConfig.llm_api_key_secret} named as the LLM API key does not exist`);
  }
  apiKey ??= (await deps.settings.llmApiKey(em, userId)) ?? deps.config.llm.apiKey;
  const missing = [!model && 'llm_model', !baseURL && 'llm_base_url'].filter(Boolean);
  if (missing.length > 0) {
    throw new LlmNotConfiguredError(
      `No ${missing.join(' or ')} configured: set it in the agent's config, in PUT /api/v1/settings, or as LLM_MODEL / LLM_BASE_URL on the server`,
    );
  }
  // Local endpoints (Ollama, vLLM) take no key; the client still wants a string.
  return { model: model!, baseURL: baseURL!, apiKey: apiKey ?? 'none' };
}

/** Settings of one run of `conversation`. */
export async function resolveRunSettings(deps: RunSettingsDeps, em: EntityManager, conversation: Conversation): Promise<RunSettings> {
  const agent = conversation.agentId ? await em.findOne(AgentEntity, { id: conversation.agentId }) : null;
  const config = agent?.config ?? null;
  const user = await deps.settings.get(em, conversation.userId);
  const secretNames = config?.secrets ?? [];
  const revealed = secretNames.length > 0 ? await deps.secrets.reveal(em, conversation.userId, secretNames) : new Map<string, string>();
  return {
    llm: await resolveLlm(deps, em, conversation.userId, config),
    systemPrompt: config?.system_prompt,
    maxIterations: config?.max_iterations ?? user.max_iterations ?? DEFAULT_MAX_ITERATIONS,
    tools: config?.tools ?? [...ALL_TOOLS],
    confirmationMode: config?.confirmation_mode ?? user.confirmation_mode,
    secrets: Object.fromEntries(revealed),
    sandboxImage: config?.sandbox_image,
    idleTimeoutSeconds: config?.idle_timeout_seconds ?? 900,
    agentId: agent?.id ?? null,
  };
}

/** `resolveLlm` for the llm-test routes: a missing model or URL is the caller's 400, not a server fault. */
export async function llmOrBadRequest(...args: Parameters<typeof resolveLlm>): Promise<LlmSettings> {
  try {
    return await resolveLlm(...args);
  } catch (error) {
    if (error instanceof LlmNotConfiguredError) throw new ApiError(400, ErrorCode.llmNotConfigured, error.message);
    throw error;
  }
}

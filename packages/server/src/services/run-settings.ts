import type { EntityManager } from '@mikro-orm/postgresql';
import { ALL_TOOLS, DEFAULT_IDLE_TIMEOUT_SECONDS, DEFAULT_MAX_ITERATIONS, type AgentConfig } from '@metisai/sdk/schemas';
import type { LlmSettings } from '../agent/index.ts';
import type { Config } from '../config.ts';
import { AgentEntity, type Conversation } from '../entities/index.ts';
import { LlmNotConfiguredError } from '../errors.ts';
import type { SecretService } from './secrets.ts';
import type { SettingsService } from './settings.ts';

/** Everything one run needs to know, resolved agent config > user settings > server defaults. */
export interface RunSettings {
  llm: LlmSettings;
  systemPrompt: string | undefined;
  maxIterations: number;
  tools: AgentConfig['tools'];
  confirmationMode: boolean;
  /** Run tool calls written as text (agent config `text_tool_calls`, default true). */
  textToolCalls: boolean;
  /** `{ NAME: value }` of the secrets the agent exports into its sandbox. */
  secrets: Record<string, string>;
  sandboxImage: string | undefined;
  idleTimeoutSeconds: number;
  agentId: string | null;
}

/** Values that replace the saved ones for one call (`POST /settings/llm-test` takes them in its body). */
export interface LlmOverrides {
  llm_model?: string;
  llm_base_url?: string;
  llm_api_key?: string;
}

/**
 * Resolves what a run (or an LLM test) uses, level by level: the agent's config, then the user's settings, then the
 * server's environment (`LLM_MODEL`, `LLM_BASE_URL`, `LLM_API_KEY`, `LLM_IDLE_TIMEOUT_SECONDS`, `LLM_TIMEOUT_SECONDS`),
 * then the SDK's defaults.
 */
export class RunSettingsService {
  readonly #config: Config;
  readonly #settings: SettingsService;
  readonly #secrets: SecretService;

  constructor(config: Config, settings: SettingsService, secrets: SecretService) {
    this.#config = config;
    this.#settings = settings;
    this.#secrets = secrets;
  }

  /** The LLM endpoint for a user and (optionally) an agent config. Throws `LlmNotConfiguredError` naming what is missing. */
  async resolveLlm(em: EntityManager, userId: string, agentConfig: AgentConfig | null, overrides: LlmOverrides = {}): Promise<LlmSettings> {
    const user = await this.#settings.get(em, userId);
    const server = this.#config.llm;
    const model = overrides.llm_model ?? agentConfig?.llm_model ?? user.llm_model ?? server.model;
    const baseURL = overrides.llm_base_url ?? agentConfig?.llm_base_url ?? user.llm_base_url ?? server.baseUrl;
    let apiKey = overrides.llm_api_key;
    if (apiKey === undefined && agentConfig?.llm_api_key_secret) {
      apiKey = (await this.#secrets.reveal(em, userId, [agentConfig.llm_api_key_secret])).get(agentConfig.llm_api_key_secret);
      if (apiKey === undefined) throw new LlmNotConfiguredError(`the secret ${agentConfig.llm_api_key_secret} named as the LLM API key does not exist`);
    }
    apiKey ??= (await this.#settings.llmApiKey(em, userId)) ?? server.apiKey;
    const missing = [!model && 'llm_model', !baseURL && 'llm_base_url'].filter(Boolean);
    if (missing.length > 0) {
      throw new LlmNotConfiguredError(
        `No ${missing.join(' or ')} configured: set it in the agent's config, in PUT /api/v1/settings, or as LLM_MODEL / LLM_BASE_URL on the server`,
      );
    }
    const idleSeconds = agentConfig?.llm_idle_timeout_seconds ?? user.llm_idle_timeout_seconds ?? server.idleTimeoutSeconds;
    const totalSeconds = agentConfig?.llm_timeout_seconds ?? user.llm_timeout_seconds ?? server.timeoutSeconds;
    // Local endpoints (Ollama, vLLM) take no key; the client still wants a string.
    return {
      model: model!,
      baseURL: baseURL!,
      apiKey: apiKey ?? 'none',
      idleTimeoutMs: Math.round(idleSeconds * 1000),
      timeoutMs: Math.round(totalSeconds * 1000),
    };
  }

  /** Settings of one run of `conversation`. Throws `LlmNotConfiguredError` when no LLM endpoint resolves. */
  async resolve(em: EntityManager, conversation: Conversation): Promise<RunSettings> {
    const agent = conversation.agentId ? await em.findOne(AgentEntity, { id: conversation.agentId }) : null;
    const config = agent?.config ?? null;
    const user = await this.#settings.get(em, conversation.userId);
    const secretNames = config?.secrets ?? [];
    const revealed = secretNames.length > 0 ? await this.#secrets.reveal(em, conversation.userId, secretNames) : new Map<string, string>();
    return {
      llm: await this.resolveLlm(em, conversation.userId, config),
      systemPrompt: config?.system_prompt,
      maxIterations: config?.max_iterations ?? user.max_iterations ?? DEFAULT_MAX_ITERATIONS,
      tools: config?.tools ?? [...ALL_TOOLS],
      confirmationMode: config?.confirmation_mode ?? user.confirmation_mode,
      textToolCalls: config?.text_tool_calls ?? true,
      secrets: Object.fromEntries(revealed),
      sandboxImage: config?.sandbox_image,
      idleTimeoutSeconds: config?.idle_timeout_seconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
      agentId: agent?.id ?? null,
    };
  }
}

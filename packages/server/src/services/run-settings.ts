import type { EntityManager } from '@mikro-orm/postgresql';
import {
  ALL_TOOLS,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_MAX_ITERATIONS,
  EmbedPolicySchema,
  type AgentConfig,
  type EmbedQuotas,
  type NetworkPolicy,
} from '@metisai/sdk/schemas';
import type { LlmSettings } from '../agent/index.ts';
import type { Config } from '../config.ts';
import { AgentEntity, type Conversation } from '../entities/index.ts';
import { LlmNotConfiguredError } from '../errors.ts';
import type { EgressGuard } from '../security/egress-guard.ts';
import { chooseLlmEndpoint } from './llm-endpoint.ts';
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
  /** What the conversation's sandbox may reach (agent config `network`, default `egress`). */
  network: NetworkPolicy;
  idleTimeoutSeconds: number;
  /** The agent's `max_budget_tokens`: tokens the conversation may use in all. */
  maxBudgetTokens: number | undefined;
  agentId: string | null;
  /** A visitor's conversation: what its agent's embed policy limits (tools, secrets and network above are the policy's already). */
  visitor: VisitorRunLimits | null;
}

/** What a visitor's run counts against and how long a confirmation may wait (the agent's `embed.policy`). */
export interface VisitorRunLimits {
  visitorId: string;
  agentId: string;
  quotas: EmbedQuotas;
  confirmationTimeoutSeconds: number;
}

/** What a conversation's sandbox is made with, outside a run (a file upload before the first message). */
export interface SandboxSettings {
  sandboxImage: string | undefined;
  network: NetworkPolicy;
  idleTimeoutSeconds: number;
  agentId: string | null;
  /** A visitor's conversation: its sandbox counts against these limits (the agent's `embed.policy`). */
  visitor: VisitorRunLimits | null;
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
  readonly #egress: EgressGuard;

  /** `egress`: every LLM call and test goes through its `fetch`. */
  constructor(config: Config, settings: SettingsService, secrets: SecretService, egress: EgressGuard) {
    this.#config = config;
    this.#settings = settings;
    this.#secrets = secrets;
    this.#egress = egress;
  }

  /**
   * The LLM endpoint for a user and (optionally) an agent config, by `chooseLlmEndpoint`'s rules: `overrides`
   * (llm-test's body) first, then the agent's config, the user's settings, the server's environment, OpenAI's endpoint.
   * Throws `LlmNotConfiguredError` naming exactly what to set.
   */
  async resolveLlm(em: EntityManager, userId: string, agentConfig: AgentConfig | null, overrides: LlmOverrides = {}): Promise<LlmSettings> {
    const user = await this.#settings.get(em, userId);
    // The user's key is read only when it may be used (an override URL without a key gets none).
    const userKey = overrides.llm_base_url && overrides.llm_api_key === undefined ? undefined : await this.#userKey(em, userId, agentConfig);
    const endpoint = chooseLlmEndpoint({
      overrides,
      agent: { model: agentConfig?.llm_model, baseUrl: agentConfig?.llm_base_url },
      user: {
        model: user.llm_model ?? undefined,
        baseUrl: user.llm_base_url ?? undefined,
        apiKey: userKey,
        apiKeyField: agentConfig?.llm_api_key_secret ? 'config.llm_api_key_secret' : 'llm_api_key',
      },
      server: this.#config.llm,
    });
    const server = this.#config.llm;
    const idleSeconds = agentConfig?.llm_idle_timeout_seconds ?? user.llm_idle_timeout_seconds ?? server.idleTimeoutSeconds;
    const totalSeconds = agentConfig?.llm_timeout_seconds ?? user.llm_timeout_seconds ?? server.timeoutSeconds;
    return { ...endpoint, idleTimeoutMs: Math.round(idleSeconds * 1000), timeoutMs: Math.round(totalSeconds * 1000), fetch: this.#egress.fetch };
  }

  /** The user's own key: the agent's `llm_api_key_secret`, else the key in their settings. */
  async #userKey(em: EntityManager, userId: string, agentConfig: AgentConfig | null): Promise<string | undefined> {
    const secretName = agentConfig?.llm_api_key_secret;
    if (secretName) {
      const value = (await this.#secrets.reveal(em, userId, [secretName])).get(secretName);
      if (value === undefined) throw new LlmNotConfiguredError(`the secret ${secretName} named as the LLM API key does not exist`);
      return value;
    }
    return (await this.#settings.llmApiKey(em, userId)) ?? undefined;
  }

  /**
   * The embed policy's limits of a visitor's conversation (null for a user's own): what its agent's config says, or
   * the policy's defaults for configs saved before embedding existed.
   */
  async visitorLimits(
    em: EntityManager,
    conversation: Pick<Conversation, 'visitorId' | 'agentId'>,
  ): Promise<(VisitorRunLimits & { idleTimeoutSeconds: number }) | null> {
    if (!conversation.visitorId || !conversation.agentId) return null;
    const agent = await em.findOne(AgentEntity, { id: conversation.agentId }, { fields: ['config'], disableIdentityMap: true });
    const policy = agent?.config.embed?.policy ?? EmbedPolicySchema.parse({});
    return {
      visitorId: conversation.visitorId,
      agentId: conversation.agentId,
      quotas: policy.quotas,
      confirmationTimeoutSeconds: policy.confirmation_timeout_seconds,
      idleTimeoutSeconds: agent?.config.idle_timeout_seconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
    };
  }

  /**
   * The sandbox settings of `conversation` (its agent's), without resolving an LLM or revealing secrets. A visitor's
   * conversation gets its agent's embed policy's network and the visitor's sandbox limits.
   */
  async resolveSandbox(em: EntityManager, conversation: Conversation): Promise<SandboxSettings> {
    const agent = conversation.agentId ? await em.findOne(AgentEntity, { id: conversation.agentId }) : null;
    const policy = conversation.visitorId && agent ? (agent.config.embed?.policy ?? EmbedPolicySchema.parse({})) : null;
    return {
      sandboxImage: agent?.config.sandbox_image,
      network: policy ? policy.network : (agent?.config.network ?? 'egress'),
      idleTimeoutSeconds: agent?.config.idle_timeout_seconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
      agentId: agent?.id ?? null,
      visitor:
        policy && agent && conversation.visitorId
          ? { visitorId: conversation.visitorId, agentId: agent.id, quotas: policy.quotas, confirmationTimeoutSeconds: policy.confirmation_timeout_seconds }
          : null,
    };
  }

  /**
   * Settings of one run of `conversation`. A visitor's conversation runs under its agent's embed policy: the tools
   * both the policy and the agent allow, only the secrets both name, the policy's network (default `none`). Throws
   * `LlmNotConfiguredError` when no LLM endpoint resolves.
   */
  async resolve(em: EntityManager, conversation: Conversation): Promise<RunSettings> {
    const agent = conversation.agentId ? await em.findOne(AgentEntity, { id: conversation.agentId }) : null;
    const config = agent?.config ?? null;
    const user = await this.#settings.get(em, conversation.userId);
    const tools = config?.tools ?? [...ALL_TOOLS];
    let secretNames = config?.secrets ?? [];
    let network: NetworkPolicy = config?.network ?? 'egress';
    let allowedTools = tools;
    let visitor: VisitorRunLimits | null = null;
    if (conversation.visitorId && agent) {
      // Configs saved before embedding existed have no policy: its defaults (the safe ones) apply.
      const policy = config?.embed?.policy ?? EmbedPolicySchema.parse({});
      allowedTools = tools.filter((tool) => policy.tools.includes(tool));
      secretNames = secretNames.filter((name) => policy.secrets.includes(name));
      network = policy.network;
      visitor = {
        visitorId: conversation.visitorId,
        agentId: agent.id,
        quotas: policy.quotas,
        confirmationTimeoutSeconds: policy.confirmation_timeout_seconds,
      };
    }
    const revealed = secretNames.length > 0 ? await this.#secrets.reveal(em, conversation.userId, secretNames) : new Map<string, string>();
    return {
      llm: await this.resolveLlm(em, conversation.userId, config),
      systemPrompt: config?.system_prompt,
      maxIterations: config?.max_iterations ?? user.max_iterations ?? DEFAULT_MAX_ITERATIONS,
      tools: allowedTools,
      confirmationMode: config?.confirmation_mode ?? user.confirmation_mode,
      textToolCalls: config?.text_tool_calls ?? true,
      secrets: Object.fromEntries(revealed),
      sandboxImage: config?.sandbox_image,
      network,
      idleTimeoutSeconds: config?.idle_timeout_seconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
      maxBudgetTokens: config?.max_budget_tokens,
      agentId: agent?.id ?? null,
      visitor,
    };
  }
}

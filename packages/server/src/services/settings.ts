import type { EntityManager } from '@mikro-orm/postgresql';
import type { Settings as SettingsJson, SettingsUpdateParams } from '@metisai/sdk/schemas';
import { SettingsEntity, type Settings } from '../entities/index.ts';
import { decrypt, encrypt } from '../security/cipher.ts';
import type { EgressGuard } from '../security/egress-guard.ts';
import type { Keys } from '../security/keys.ts';
import { assertBaseUrlAllowed } from './llm-endpoint.ts';

const toSettingsJson = (settings: Settings | null): SettingsJson => ({
  llm_model: settings?.llmModel ?? null,
  llm_base_url: settings?.llmBaseUrl ?? null,
  has_llm_api_key: !!settings?.llmApiKeyEncrypted,
  max_iterations: settings?.maxIterations ?? null,
  confirmation_mode: settings?.confirmationMode ?? false,
  llm_idle_timeout_seconds: settings?.llmIdleTimeoutSeconds == null ? null : Number(settings.llmIdleTimeoutSeconds),
  llm_timeout_seconds: settings?.llmTimeoutSeconds == null ? null : Number(settings.llmTimeoutSeconds),
  updated_at: settings?.updatedAt.toISOString() ?? null,
});

/** Encryption is bound to the user, so a sealed value moved to another row does not decrypt. */
const aad = (userId: string) => `settings.llm_api_key:${userId}`;

export class SettingsService {
  readonly #keys: Keys;
  readonly #egress: EgressGuard;

  /** `egress` refuses, at save time, a `llm_base_url` whose IP it would not connect to. */
  constructor(keys: Keys, egress: EgressGuard) {
    this.#keys = keys;
    this.#egress = egress;
  }

  async get(em: EntityManager, userId: string): Promise<SettingsJson> {
    return toSettingsJson(await em.findOne(SettingsEntity, { userId }));
  }

  /** Throws `InvalidRequestError` (`egress_refused`) for a `llm_base_url` written as an IP the server does not connect to. */
  async update(em: EntityManager, userId: string, params: SettingsUpdateParams): Promise<SettingsJson> {
    assertBaseUrlAllowed(this.#egress, params.llm_base_url, 'llm_base_url');
    let settings = await em.findOne(SettingsEntity, { userId });
    settings ??= em.create(SettingsEntity, {
      userId,
      llmModel: null,
      llmBaseUrl: null,
      llmApiKeyEncrypted: null,
      maxIterations: null,
      confirmationMode: false,
      llmIdleTimeoutSeconds: null,
      llmTimeoutSeconds: null,
    });
    if (params.llm_model !== undefined) settings.llmModel = params.llm_model;
    if (params.llm_base_url !== undefined) settings.llmBaseUrl = params.llm_base_url;
    if (params.llm_api_key !== undefined) {
      settings.llmApiKeyEncrypted = params.llm_api_key === null ? null : encrypt(this.#keys.secretEncryption, params.llm_api_key, aad(userId));
    }
    if (params.max_iterations !== undefined) settings.maxIterations = params.max_iterations;
    if (params.confirmation_mode !== undefined) settings.confirmationMode = params.confirmation_mode;
    if (params.llm_idle_timeout_seconds !== undefined) settings.llmIdleTimeoutSeconds = params.llm_idle_timeout_seconds;
    if (params.llm_timeout_seconds !== undefined) settings.llmTimeoutSeconds = params.llm_timeout_seconds;
    settings.updatedAt = new Date();
    await em.flush();
    return toSettingsJson(settings);
  }

  /** The stored LLM API key in clear, for the runs; never sent to clients. */
  async llmApiKey(em: EntityManager, userId: string): Promise<string | null> {
    const settings = await em.findOne(SettingsEntity, { userId });
    return settings?.llmApiKeyEncrypted ? decrypt(this.#keys.secretEncryption, settings.llmApiKeyEncrypted, aad(userId)) : null;
  }
}

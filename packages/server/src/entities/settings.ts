import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const SettingsEntity = defineEntity({
  name: 'Settings',
  tableName: 'settings',
  properties: {
    userId: p.uuid().primary(),
    llmModel: p.text().nullable(),
    llmBaseUrl: p.text().nullable(),
    /** AES-256-GCM, see security/cipher.ts. */
    llmApiKeyEncrypted: p.text().nullable(),
    maxIterations: p.integer().nullable(),
    confirmationMode: p.boolean(),
    /** Seconds; null → the server's LLM_IDLE_TIMEOUT_SECONDS. */
    llmIdleTimeoutSeconds: p.double().nullable(),
    /** Seconds; null → the server's LLM_TIMEOUT_SECONDS. */
    llmTimeoutSeconds: p.double().nullable(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Settings = InferEntity<typeof SettingsEntity>;

import { AgentEntity } from './agent.ts';
import { ApiKeyEntity } from './api-key.ts';
import { ConversationEntity } from './conversation.ts';
import { EventEntity } from './event.ts';
import { IdempotencyKeyEntity } from './idempotency-key.ts';
import { LlmCallEntity } from './llm-call.ts';
import { PublishableKeyEntity } from './publishable-key.ts';
import { SecretEntity } from './secret.ts';
import { SessionEntity } from './session.ts';
import { SettingsEntity } from './settings.ts';
import { UserEntity } from './user.ts';
import { VisitorEntity } from './visitor.ts';
import { WorkspaceBaselineFileEntity } from './workspace-baseline-file.ts';

export {
  AgentEntity,
  ApiKeyEntity,
  ConversationEntity,
  EventEntity,
  IdempotencyKeyEntity,
  LlmCallEntity,
  PublishableKeyEntity,
  SecretEntity,
  SessionEntity,
  SettingsEntity,
  UserEntity,
  VisitorEntity,
  WorkspaceBaselineFileEntity,
};
export type { Agent } from './agent.ts';
export type { ApiKey } from './api-key.ts';
export type { Conversation, StoredRepository } from './conversation.ts';
export type { Event } from './event.ts';
export type { LlmCall } from './llm-call.ts';
export type { PublishableKey } from './publishable-key.ts';
export type { Secret } from './secret.ts';
export type { Session } from './session.ts';
export type { Settings } from './settings.ts';
export type { User } from './user.ts';
export type { Visitor } from './visitor.ts';
export type { WorkspaceBaselineFile } from './workspace-baseline-file.ts';

export const entities = [
  UserEntity,
  SessionEntity,
  AgentEntity,
  ConversationEntity,
  EventEntity,
  SettingsEntity,
  SecretEntity,
  ApiKeyEntity,
  IdempotencyKeyEntity,
  LlmCallEntity,
  PublishableKeyEntity,
  VisitorEntity,
  WorkspaceBaselineFileEntity,
];

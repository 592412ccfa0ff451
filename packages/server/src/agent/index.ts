export { runConversation } from './run-conversation.ts';
export type {
  AgentDelta,
  AgentEmitter,
  AgentEventInput,
  ConfirmationDecision,
  LlmCallOutcome,
  LlmSettings,
  RunConversationOptions,
  RunResult,
  TokenUsage,
} from './run-options.ts';
export { pendingActions } from './pending-actions.ts';
export * as runEnds from './run-ends.ts';
export type { RunAbortReason, RunEnd } from './run-ends.ts';
export { SECRET_PLACEHOLDER, SecretMasker } from './secret-masker.ts';
export { toolsFor, type AgentTool } from './tools/index.ts';

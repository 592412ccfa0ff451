import type { Sandbox } from '@metisai/sandbox';
import type { ConversationState, Event, LlmErrorCode, ToolName } from '@metisai/sdk/schemas';
import type { EventInput } from '../events/event-input.ts';
import type { RunEnd } from './run-ends.ts';
import type { StepListing } from './step-changes.ts';

/**
 * An event as the loop hands it to the emitter. `id` is set on assistant messages, so the stored message's `id`
 * equals its deltas' `message_id`.
 */
export type AgentEventInput = EventInput;

/** A piece of an assistant message while it streams (the `delta` event without `type`/`conversation_id`). */
export interface AgentDelta {
  message_id: string;
  content: string;
}

/**
 * Where the loop reports. `emit` stores the event (and publishes it); `emitDelta` only publishes a piece of the
 * answer, `emitReasoningDelta` a piece of a reasoning model's reasoning (the `reasoning_delta` event; optional: an
 * emitter without it drops reasoning pieces, the stored message keeps the reasoning whole).
 */
export interface AgentEmitter {
  emit(event: AgentEventInput): Promise<Event>;
  emitDelta(delta: AgentDelta): void | Promise<void>;
  emitReasoningDelta?(delta: AgentDelta): void | Promise<void>;
}

export interface LlmSettings {
  model: string;
  /** OpenAI-compatible base URL including `/v1`. */
  baseURL: string;
  apiKey: string;
  /**
   * The setting `baseURL` came from, named when the server refuses to connect there (`egress_refused`): `llm_base_url`
   * (the user's settings, or llm-test's body) or `config.llm_base_url` (the agent's). Absent: the server's own.
   */
  baseUrlField?: string;
  /** The setting `model` came from (`llm_model`, `config.llm_model`), for the same purpose; absent: the server's. */
  modelField?: string;
  /** The setting the key came from (`llm_api_key`, `config.llm_api_key_secret`); absent: the server's, or none. */
  apiKeyField?: string;
  /**
   * The `fetch` every request of the call goes through: the server passes its egress guard's (`EgressGuard.fetch`),
   * which checks addresses when they connect and never follows redirects. Default: the global `fetch`, redirects
   * refused too.
   */
  fetch?: typeof fetch;
  /** Retries of a 429, 5xx or connection failure, each reported as an `llm_retry` error event (default 3). */
  maxRetries?: number;
  /** First backoff delay when the provider sends no Retry-After; doubles per retry (default 1000). */
  retryBaseDelayMs?: number;
  /** Longest wait before a retry, Retry-After included (default 30 000). */
  maxRetryDelayMs?: number;
  /** One whole LLM call, headers and stream, ends as `llm_timeout` after this long (default 600 000). */
  timeoutMs?: number;
  /**
   * An LLM call that receives no byte for this long (SSE keep-alive comments count) ends as `llm_timeout`
   * (default 300 000).
   */
  idleTimeoutMs?: number;
}

/** How one LLM call ended: `ok`, or the class of its failure. */
export type LlmCallOutcome = 'ok' | LlmErrorCode;

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type ConfirmationDecision = 'approve' | 'reject';

/** Tools whose steps can change the workspace's files: a workspace snapshot follows each of their observations. */
export const FILE_CHANGING_TOOLS: ReadonlySet<string> = new Set(['execute_bash', 'str_replace_editor']);

/**
 * Where a run records its workspace after each step that can change files (every `execute_bash` and
 * `str_replace_editor` observation): `record` starts a snapshot and returns at once (it overlaps the next LLM call),
 * from `listing` when the step listed the workspace already (a bash step, for its changed files), else listing it;
 * `settled` resolves once every snapshot started so far is stored, or after `maxWaitMs` (then it goes on in the
 * background). The loop waits for `settled` before the next action runs and before the run's final state (a stopped
 * run briefly: a stop must not be kept waiting). Neither rejects.
 */
export interface StepSnapshots {
  record(sandbox: Sandbox, seq: number, listing?: StepListing): void;
  settled(maxWaitMs: number): Promise<void>;
}

/** Longest wait for the previous step's snapshot before an action runs, or before a run's final state. */
export const SNAPSHOT_WAIT_MS = 60_000;
/** Longest wait for the snapshots of a stopped run before its final state. */
export const STOPPED_SNAPSHOT_WAIT_MS = 2_000;

export interface RunConversationOptions {
  llm: LlmSettings;
  /** The agent's own system prompt, added after the built-in one. */
  systemPrompt?: string;
  /** LLM calls allowed since the last user message (default `DEFAULT_MAX_ITERATIONS`, 100). */
  maxIterations?: number;
  /** Enabled tools (default all); `finish` is always enabled. */
  tools?: readonly ToolName[];
  /** Ask before every `execute_bash` / `str_replace_editor` action. */
  confirmationMode?: boolean;
  /** Run tool calls the model wrote as text when its reply has no native ones (default true; see `text-tool-calls.ts`). */
  textToolCalls?: boolean;
  /** The conversation's sandbox, or a factory called once at the start of the run. */
  sandbox: Sandbox | (() => Promise<Sandbox>);
  /** The conversation's stored events so far, the new user message included. */
  history: readonly Event[];
  /** `{ NAME: value }` exported in the sandbox; every value is masked as `<secret_hidden>`. */
  secrets?: Record<string, string>;
  /** Aborting it stops the run: the LLM request is aborted and a running command gets C-c. */
  signal?: AbortSignal;
  emitter: AgentEmitter;
  /** The user's answer to the pending action (the first `action` event without an observation). */
  decision?: ConfirmationDecision;
  /**
   * Called after every LLM call that reported usage. Not awaited by the step; the run awaits every returned promise
   * before its final state, so usage is recorded by then. It must not reject (a failure to record is the caller's to log).
   */
  onUsage?: (usage: TokenUsage) => Promise<void>;
  /**
   * Called after every LLM call (each attempt, retries included) with its outcome: `ok`, or the failure's class (the
   * SDK's `LLM_ERROR_CODES`, as `classifyLlmError` reads it). Calls the run aborted (a stop) are not reported. Synchronous
   * and must not throw: the server counts calls per provider with it (`metrics/`).
   */
  onLlmCall?: (outcome: LlmCallOutcome) => void;
  /** Raw output chunks (ANSI included, secrets masked) of a command while it runs. */
  onCommandOutput?: (toolCallId: string, chunk: string) => void;
  /** Workspace snapshots after file-changing steps (absent: none are taken). */
  snapshots?: StepSnapshots;
  /** Id of assistant messages (default UUIDv7). */
  newId?: () => string;
}

export interface RunResult {
  state: ConversationState;
  reason: RunEnd['reason'];
  /** Tokens of every LLM call of this run. */
  usage: TokenUsage;
}

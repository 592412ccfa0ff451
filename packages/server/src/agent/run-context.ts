import type { Sandbox } from '@metisai/sandbox';
import { DEFAULT_LLM_IDLE_TIMEOUT_SECONDS, DEFAULT_LLM_TIMEOUT_SECONDS, type ActionEvent, type Event } from '@metisai/sdk/schemas';
import type OpenAI from 'openai';
import { uuid7 } from '../security/uuid7.ts';
import { createLlmClient } from './llm-client.ts';
import { type RunEnd, runEndEvents } from './run-ends.ts';
import {
  type AgentEventInput,
  type RunConversationOptions,
  type RunResult,
  SNAPSHOT_WAIT_MS,
  STOPPED_SNAPSHOT_WAIT_MS,
  type TokenUsage,
} from './run-options.ts';
import { SecretMasker } from './secret-masker.ts';
import { forgetWorkspace, type StepChanges, watchWorkspace } from './step-changes.ts';
import { newToolCallId } from './tool-call-ids.ts';
import { toolsFor, type AgentTool } from './tools/index.ts';

export interface Observation extends StepChanges {
  content: string;
  exitCode?: number | null;
}

/** Everything one run shares: options, the growing event list, the masker, the sandbox and the LLM client. */
export class RunContext {
  readonly options: RunConversationOptions;
  readonly events: Event[];
  readonly masker: SecretMasker;
  readonly tools: AgentTool[];
  readonly client: OpenAI;
  readonly newId: () => string;
  /** Whole-call and idle deadlines of each LLM call. */
  readonly llmTimeoutMs: number;
  readonly llmIdleTimeoutMs: number;
  /** Hides the run's secrets and the LLM API key in what providers said (error messages). */
  readonly errorMasker: SecretMasker;
  readonly usage: TokenUsage = { prompt_tokens: 0, completion_tokens: 0 };
  /** Observations before this index reach the LLM condensed (after a context-length error). */
  condenseBefore = 0;
  private currentSandbox: Sandbox | null = null;
  /** `onUsage` calls not yet settled. */
  readonly #recordings: Promise<void>[] = [];

  constructor(options: RunConversationOptions) {
    this.options = options;
    this.events = [...options.history];
    this.masker = new SecretMasker(options.secrets);
    this.tools = toolsFor(options.tools);
    this.newId = options.newId ?? uuid7;
    this.llmTimeoutMs = options.llm.timeoutMs ?? DEFAULT_LLM_TIMEOUT_SECONDS * 1000;
    this.llmIdleTimeoutMs = options.llm.idleTimeoutMs ?? DEFAULT_LLM_IDLE_TIMEOUT_SECONDS * 1000;
    this.errorMasker = new SecretMasker({ ...options.secrets, LLM_API_KEY: options.llm.apiKey === 'none' ? '' : options.llm.apiKey });
    this.client = createLlmClient({ baseURL: options.llm.baseURL, apiKey: options.llm.apiKey, timeoutMs: this.llmTimeoutMs, fetch: options.llm.fetch });
  }

  /** A tool-call id no action of the conversation has (see `newToolCallId`). */
  newToolCallId(): string {
    return newToolCallId(new Set(this.events.flatMap((event) => (event.type === 'action' ? [event.tool_call_id] : []))));
  }

  get isStopped(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  /** The abort reason (see `stopped`). */
  get stopReason(): unknown {
    return this.options.signal?.reason;
  }

  get sandbox(): Sandbox {
    if (!this.currentSandbox) throw new Error('the sandbox is not ready');
    return this.currentSandbox;
  }

  /** Resolves the sandbox, exports the secrets into it and lists its workspace (for per-step file lists). */
  async prepare(): Promise<void> {
    const { sandbox, secrets } = this.options;
    this.currentSandbox = typeof sandbox === 'function' ? await sandbox() : sandbox;
    if (secrets && Object.keys(secrets).length > 0) await this.currentSandbox.setEnv(secrets);
    await watchWorkspace(this, this.currentSandbox);
  }

  tool(name: string): AgentTool | undefined {
    return this.tools.find((tool) => tool.name === name);
  }

  /** Stores an event with every secret masked, and remembers it for the next LLM call. */
  async emit(event: AgentEventInput): Promise<Event> {
    const stored = await this.options.emitter.emit(this.masker.maskDeep(event));
    this.events.push(stored);
    return stored;
  }

  async emitDelta(messageId: string, content: string): Promise<void> {
    if (content) await this.options.emitter.emitDelta({ message_id: messageId, content });
  }

  async emitReasoningDelta(messageId: string, content: string): Promise<void> {
    if (content) await this.options.emitter.emitReasoningDelta?.({ message_id: messageId, content });
  }

  observe(action: ActionEvent, { content, exitCode, diff, changedFiles, changedFilesTruncated }: Observation): Promise<Event> {
    return this.emit({
      type: 'observation',
      tool_call_id: action.tool_call_id,
      content,
      ...(exitCode === undefined ? {} : { exit_code: exitCode }),
      ...(diff === undefined ? {} : { diff }),
      ...(changedFiles === undefined ? {} : { changed_files: changedFiles }),
      ...(changedFilesTruncated === undefined ? {} : { changed_files_truncated: changedFilesTruncated }),
    });
  }

  /**
   * Adds an LLM call's tokens to the run's and hands them to `onUsage`, which records them while the run goes on
   * (off the step's path); `end` waits for every recording before it stores the final state.
   */
  addUsage(usage: TokenUsage): void {
    this.usage.prompt_tokens += usage.prompt_tokens;
    this.usage.completion_tokens += usage.completion_tokens;
    if (this.options.onUsage) this.#recordings.push(this.options.onUsage(usage));
  }

  /** Waits for the usage recordings and the workspace snapshots, then stores the error event (if the run failed) and the final state event. */
  async end(end: RunEnd): Promise<RunResult> {
    forgetWorkspace(this);
    await Promise.all(this.#recordings.splice(0));
    // A fork of the finished run finds every step's workspace snapshot stored.
    await this.options.snapshots?.settled(this.isStopped ? STOPPED_SNAPSHOT_WAIT_MS : SNAPSHOT_WAIT_MS);
    for (const event of runEndEvents(end)) await this.emit(event);
    return { state: end.state, reason: end.reason, usage: { ...this.usage } };
  }
}

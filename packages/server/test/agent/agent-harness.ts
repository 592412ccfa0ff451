import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDriver, type Sandbox } from '@metisai/sandbox';
import { startScriptedLlm, type Script, type ScriptedLlm } from '@metisai/scripted-llm';
import type { Event } from '@metisai/sdk/schemas';
import {
  runConversation,
  type AgentDelta,
  type AgentEmitter,
  type AgentEventInput,
  type RunConversationOptions,
  type TokenUsage,
} from '../../src/agent/index.ts';

/** An in-memory event log: assigns `id` (unless given), `seq` and timestamps like the real one. */
export class RecordingEmitter implements AgentEmitter {
  readonly conversationId = randomUUID();
  readonly events: Event[] = [];
  readonly deltas: AgentDelta[] = [];
  /** Called after each stored event (tests use it to react, e.g. to abort). */
  onEvent: (event: Event) => void = () => {};

  async emit(input: AgentEventInput): Promise<Event> {
    const event = {
      ...input,
      id: input.id ?? randomUUID(),
      seq: this.events.length + 1,
      conversation_id: this.conversationId,
      created_at: new Date().toISOString(),
    } as Event;
    this.events.push(event);
    this.onEvent(event);
    return event;
  }

  emitDelta(delta: AgentDelta): void {
    this.deltas.push(delta);
  }

  /** A user message, as the server stores it before starting a run. */
  user(content: string): Event {
    const event: Event = {
      type: 'message',
      role: 'user',
      content,
      id: randomUUID(),
      seq: this.events.length + 1,
      conversation_id: this.conversationId,
      created_at: new Date().toISOString(),
    };
    this.events.push(event);
    return event;
  }

  types(): string[] {
    return this.events.map((event) => (event.type === 'state' ? `state:${event.state}` : event.type === 'message' ? `message:${event.role}` : event.type));
  }

  last<T extends Event['type']>(type: T): Extract<Event, { type: T }> {
    const found = this.events.findLast((event) => event.type === type);
    if (!found) throw new Error(`no ${type} event`);
    return found as Extract<Event, { type: T }>;
  }

  all<T extends Event['type']>(type: T): Extract<Event, { type: T }>[] {
    return this.events.filter((event) => event.type === type) as Extract<Event, { type: T }>[];
  }
}

export interface Harness {
  sandbox: Sandbox;
  llm: ScriptedLlm;
  emitter: RecordingEmitter;
  usage: TokenUsage[];
  commandOutput: string[];
  /** Runs the agent on the emitter's events so far (add a user message first with `emitter.user`). */
  run(options?: Partial<RunConversationOptions>): ReturnType<typeof runConversation>;
  close(): Promise<void>;
}

/** A real sandbox (local unless one is given; it is removed on close) and a scripted LLM over HTTP; the script is built from the sandbox's workdir. */
export async function startHarness(
  makeScript: (workdir: string) => Script,
  { sandbox: given, ...llmOptions }: { apiKey?: string; chunkDelayMs?: number; sandbox?: Sandbox } = {},
): Promise<Harness> {
  const rootDir = await mkdtemp(join(tmpdir(), 'metis-agent-'));
  const sandbox = given ?? (await localDriver({ rootDir, onLog: () => {} }).create());
  const llm = await startScriptedLlm({ script: makeScript(sandbox.workdir), ...llmOptions });
  const emitter = new RecordingEmitter();
  const usage: TokenUsage[] = [];
  const commandOutput: string[] = [];
  return {
    sandbox,
    llm,
    emitter,
    usage,
    commandOutput,
    // As the runner does: `state: running` is stored with what started the run, then the loop runs.
    run: async (options = {}) => {
      await emitter.emit({ type: 'state', state: 'running', reason: options.decision ? `user_${options.decision}` : null });
      return runConversation({
        llm: { model: 'scripted-llm', baseURL: llm.url, apiKey: 'sk-test', retryBaseDelayMs: 10 },
        sandbox,
        history: [...emitter.events],
        emitter,
        onUsage: async (u) => {
          usage.push(u);
        },
        onCommandOutput: (_id, chunk) => commandOutput.push(chunk),
        ...options,
      });
    },
    close: async () => {
      await llm.close();
      await sandbox.remove().catch(() => undefined);
      await rm(rootDir, { recursive: true, force: true });
    },
  };
}

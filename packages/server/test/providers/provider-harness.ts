import { afterAll, beforeAll, expect } from 'vitest';
import { loadFixture, type ProviderFixture } from '@metisai/scripted-llm';
import { isFinalState, newConversation, runningAgent, Streams } from '../e2e/e2e-helpers.ts';
import { eventsOf, type Runtime, startRuntime } from '../runtime/runtime-harness.ts';

/** What a user sees of one run: the stored events, the final conversation, the live stream, and how long it took. */
export interface Seen {
  id: string;
  events: Array<Record<string, any>>;
  state: string;
  reason: string | null;
  elapsedMs: number;
  /** Every SSE message received (deltas and reasoning deltas included), parsed. */
  live: Array<Record<string, any>>;
}

/** Plays a provider fixture from `tests/scripted-llm/fixtures/<provider>/<name>.json` on the runtime's LLM. */
export function playFixture(rt: Runtime, provider: string, name: string): ProviderFixture {
  const fixture = loadFixture(provider, name);
  rt.llm.setScript(fixture.turns);
  return fixture;
}

/**
 * Sends `content` in a new conversation (of `agentId` when given) over HTTP with an SSE client attached, and waits at
 * most `timeoutMs` for the run to end, as a user would.
 */
export async function converse(rt: Runtime, streams: Streams, options: { content?: string; agentId?: string; timeoutMs?: number } = {}): Promise<Seen> {
  const id = await newConversation(rt.http, options.agentId ? { agent_id: options.agentId } : {});
  const sse = await streams.open(rt.server.url, id, rt.user.token);
  const started = Date.now();
  expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: options.content ?? 'Run the command, then finish.' })).status).toBe(202);
  await sse.until((client) => client.stored.some(isFinalState), options.timeoutMs ?? 20_000);
  const elapsedMs = Date.now() - started;
  const events = await eventsOf(rt.http, id);
  const final = events.findLast(isFinalState)!;
  return { id, events, state: final.state, reason: final.reason ?? null, elapsedMs, live: sse.messages.map((message) => JSON.parse(message.data)) };
}

/** The observations' contents, in order. */
export const observationsIn = (seen: Seen) => seen.events.filter((event) => event.type === 'observation').map((event) => event.content as string);

/** Error events' codes, in order. */
export const errorCodesIn = (seen: Seen) => seen.events.filter((event) => event.type === 'error').map((event) => event.code as string);

/** An agent (started) with `config`; no warm sandbox, to keep tests light. */
export const agentWith = (rt: Runtime, name: string, config: Record<string, unknown>) =>
  runningAgent(rt, name, { llm_model: 'scripted', warm_pool_size: 0, ...config });

export { Streams };

/**
 * The test file's server (local driver) and scripted LLM, started before its tests and closed after them, with the
 * event streams its tests open.
 */
export function useProviderRuntime(options: Parameters<typeof startRuntime>[0] = {}): { readonly rt: Runtime; readonly streams: Streams } {
  let runtime: Runtime | undefined;
  const streams = new Streams();
  beforeAll(async () => {
    runtime = await startRuntime(options);
  });
  afterAll(async () => {
    streams.closeAll();
    await runtime?.close();
  });
  return {
    get rt() {
      if (!runtime) throw new Error('the runtime starts in beforeAll');
      return runtime;
    },
    streams,
  };
}

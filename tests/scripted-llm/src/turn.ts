import { REQUEST_RULES, type RequestRule } from './request-rules.ts';
import type { WireSpec } from './wire.ts';

/** Why the reply ended; defaults to `tool_calls` when a turn has tool calls, else `stop`. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

/** Stop streaming after `afterChunks` `data:` events, for `ms` or (with `hang`) until the client goes away. */
export type StreamPause = { afterChunks: number; ms: number } | { afterChunks: number; hang: true };

/** Overrides the approximate token counts reported in `usage`. */
export interface TurnUsage {
  promptTokens?: number;
  completionTokens?: number;
}

/** Checks the request a turn answers must pass first, as the named provider checks them (see `REQUEST_RULES`). */
export interface TurnRules {
  rules?: RequestRule[];
}

/** Timing knobs shared by reply turns. Streaming knobs are ignored for non-streaming requests. */
export interface TurnTiming extends TurnRules {
  /** Wait before answering at all (before the response headers). */
  delayMs?: number;
  /** Wait between streamed chunks; overrides the server's `chunkDelayMs`. */
  chunkDelayMs?: number;
  /** One pause in the middle of the stream. */
  streamPause?: StreamPause;
}

export interface TextTurn extends TurnTiming {
  content: string;
  finishReason?: FinishReason;
  usage?: TurnUsage;
}

/** One tool call of a turn. A string `arguments` is sent verbatim, so it may be malformed JSON. */
export interface ToolCallSpec {
  name: string;
  arguments?: Record<string, unknown> | string;
  /** Defaults to a deterministic `call_<request>_<index>`. */
  id?: string;
}

export interface ToolCallsTurn extends TurnTiming {
  toolCalls: ToolCallSpec[];
  /** Text sent before the tool calls. */
  content?: string;
  finishReason?: FinishReason;
  usage?: TurnUsage;
}

/** An HTTP error answered in OpenAI's shape `{ error: { message, type, param, code } }`. */
export interface ErrorSpec {
  status: number;
  message: string;
  /** Defaults by status: `invalid_request_error` (4xx), `requests` (429), `server_error` (5xx). */
  type?: string;
  /** Defaults to `rate_limit_exceeded` for 429, else null. */
  code?: string | null;
  param?: string | null;
  /** Sent as the `retry-after` header (fractions allowed; the openai client honours them). */
  retryAfterSeconds?: number;
  /** Sent as the `retry-after-ms` header, which the openai client prefers. */
  retryAfterMs?: number;
  /** Sent as `x-should-retry`, which overrides the openai client's own retry decision. */
  shouldRetry?: boolean;
}

export interface ErrorTurn extends TurnRules {
  error: ErrorSpec;
  delayMs?: number;
}

/** A 400 with code `context_length_exceeded`, whose message counts the request's tokens like OpenAI's. */
export interface ContextLengthTurn extends TurnRules {
  contextLengthExceeded: true | { maxTokens?: number };
  delayMs?: number;
}

/** Never answer: the request stays open until the client aborts (or the server closes). */
export interface HangTurn extends TurnRules {
  hang: true;
}

/** A provider's answer replayed verbatim (its recorded chunk shapes, faults included): see `WireSpec`. */
export interface WireTurn extends TurnRules {
  wire: WireSpec;
  delayMs?: number;
}

/** What the server does with one request. */
export type Turn = TextTurn | ToolCallsTurn | ErrorTurn | ContextLengthTurn | HangTurn | WireTurn;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isOptionalNumber = (value: unknown): boolean => value === undefined || (typeof value === 'number' && value >= 0);

/** Runtime check for turns from JSON files or untyped scripts; the message names the bad field. */
export function assertTurn(value: unknown, where: string): asserts value is Turn {
  const fail = (problem: string): never => {
    throw new Error(`${where}: ${problem} (got ${JSON.stringify(value)})`);
  };
  if (!isRecord(value)) return fail('a turn must be an object');
  if (!isOptionalNumber(value.delayMs)) fail('delayMs must be a non-negative number');
  if (value.rules !== undefined) {
    const known: readonly unknown[] = REQUEST_RULES;
    if (!Array.isArray(value.rules) || !value.rules.every((rule) => known.includes(rule))) fail(`rules must be an array of ${REQUEST_RULES.join(', ')}`);
  }
  if ('wire' in value) {
    const wire = value.wire;
    if (!isRecord(wire) || (wire.body === undefined && !Array.isArray(wire.events))) return fail('wire must be { body } or { events: [...] }');
    return;
  }
  if ('hang' in value) {
    if (value.hang !== true) fail('hang must be true');
    return;
  }
  if ('error' in value) {
    const error = value.error;
    if (!isRecord(error) || typeof error.status !== 'number' || error.status < 400 || error.status > 599) {
      return fail('error.status must be an HTTP error status (400-599)');
    }
    if (typeof error.message !== 'string') fail('error.message must be a string');
    if (!isOptionalNumber(error.retryAfterSeconds) || !isOptionalNumber(error.retryAfterMs)) {
      fail('error.retryAfterSeconds / retryAfterMs must be non-negative numbers');
    }
    return;
  }
  if ('contextLengthExceeded' in value) {
    const spec = value.contextLengthExceeded;
    if (spec !== true && !(isRecord(spec) && isOptionalNumber(spec.maxTokens))) {
      fail('contextLengthExceeded must be true or { maxTokens?: number }');
    }
    return;
  }
  if (value.content !== undefined && typeof value.content !== 'string') fail('content must be a string');
  if (!isOptionalNumber(value.chunkDelayMs)) fail('chunkDelayMs must be a non-negative number');
  const pause = value.streamPause;
  if (pause !== undefined) {
    if (!isRecord(pause) || typeof pause.afterChunks !== 'number' || !(pause.hang === true || typeof pause.ms === 'number')) {
      fail('streamPause must be { afterChunks, ms } or { afterChunks, hang: true }');
    }
  }
  if ('toolCalls' in value) {
    const calls = value.toolCalls;
    if (!Array.isArray(calls) || calls.length === 0) return fail('toolCalls must be a non-empty array');
    calls.forEach((call: unknown, index) => {
      if (!isRecord(call) || typeof call.name !== 'string' || call.name === '') fail(`toolCalls[${index}].name must be a string`);
      const args = isRecord(call) ? call.arguments : undefined;
      if (args !== undefined && typeof args !== 'string' && !isRecord(args)) {
        fail(`toolCalls[${index}].arguments must be an object or a string`);
      }
    });
    return;
  }
  if (typeof value.content !== 'string') {
    fail('expected one of { content }, { toolCalls }, { error }, { contextLengthExceeded }, { hang: true }, { wire }');
  }
}

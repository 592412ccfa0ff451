import type { LlmErrorCode } from '@metisai/sdk/schemas';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { egressRefusalOf, type EgressRefusedError } from '../security/egress-guard.ts';
import { errorBodyOf } from './llm-client.ts';
import type { LlmSettings } from './run-options.ts';

/** Longest provider message quoted in an error event or an llm-test result. */
export const MAX_PROVIDER_MESSAGE_CHARS = 500;

/** Which deadline ended an LLM call: nothing arrived for `llmIdleTimeoutMs`, or the whole call took `timeoutMs`. */
export type LlmDeadline = 'idle' | 'total';

/** An LLM call ended by one of its deadlines (see `CallDeadlines`). Retried like any transient failure. */
export class LlmTimeoutError extends Error {
  override name = 'LlmTimeoutError';
  readonly deadline: LlmDeadline;
  readonly seconds: number;
  constructor(deadline: LlmDeadline, seconds: number) {
    super(
      deadline === 'idle'
        ? `the LLM sent nothing for ${seconds} s (llm_idle_timeout_seconds)`
        : `the LLM call took longer than ${seconds} s (llm_timeout_seconds)`,
    );
    this.deadline = deadline;
    this.seconds = seconds;
  }
}

/** Why a 200 stream failed: it closed before the reply ended, the socket broke, it carried an error, or junk. */
export type LlmStreamFailure = 'incomplete_stream' | 'connection_lost' | 'provider_error' | 'malformed_chunk';

/**
 * A streamed answer that failed after the provider said 200: never the model's own reply, so it is never stored as
 * one. `status` is the HTTP-like code an in-stream error object carried (OpenRouter puts one in `error.code`).
 */
export class LlmStreamError extends Error {
  override name = 'LlmStreamError';
  readonly failure: LlmStreamFailure;
  readonly status: number | undefined;
  readonly code: string | undefined;
  constructor(failure: LlmStreamFailure, message: string, options: { status?: number; code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.failure = failure;
    this.status = options.status;
    this.code = options.code;
  }
}

export const isAbortError = (err: unknown): boolean => err instanceof APIUserAbortError || (err instanceof Error && err.name === 'AbortError');

export const isAuthError = (err: unknown): err is APIError => err instanceof APIError && (err.status === 401 || err.status === 403);

/**
 * Context-window complaints in the wordings of the servers we know (OpenAI and Azure's code, vLLM, llama.cpp,
 * Ollama, SGLang, LM Studio, Mistral, Gemini, Anthropic behind a proxy); see `docs/providers.md`.
 */
const CONTEXT_LENGTH_PATTERNS = [
  /context[ _.-]?length/i, // OpenAI, vLLM, DeepSeek, Groq, SGLang ("longer than the model's context length")
  /maximum context/i,
  /context (size|window)/i, // llama.cpp ("exceeds the available context size"), LM Studio, Ollama
  /exceeds? (the )?(available |maximum )?context/i,
  /prompt is too long/i, // Anthropic ("prompt is too long: 202609 tokens > 200000 maximum")
  /too long to fit into the model/i, // vLLM ("The prompt (total length …) is too long to fit into the model")
  /input token count .* exceeds the maximum/i, // Gemini
  /too large for model with \d+ maximum context/i, // Mistral
  /reduce the length of the messages/i,
];

const CONTEXT_LENGTH_CODES = new Set(['context_length_exceeded', 'exceed_context_size_error', 'string_above_max_length', 'model_max_prompt_tokens_exceeded']);

export function isContextLengthError(err: unknown): boolean {
  const code = err instanceof APIError || err instanceof LlmStreamError ? err.code : undefined;
  const type = err instanceof APIError ? err.type : undefined;
  if ((typeof code === 'string' && CONTEXT_LENGTH_CODES.has(code)) || (typeof type === 'string' && CONTEXT_LENGTH_CODES.has(type))) return true;
  if (!(err instanceof APIError) && !(err instanceof LlmStreamError && err.failure === 'provider_error')) return false;
  const message = providerMessage(err);
  return CONTEXT_LENGTH_PATTERNS.some((pattern) => pattern.test(message));
}

const isRetryableStatus = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

/**
 * 408, 409, 429, 5xx, connection failures, timeouts and broken streams, unless the provider sent
 * `x-should-retry: false`. A call the egress guard refused is never retried. An error object inside a 200 stream is retried unless it carried a 4xx status other than
 * those.
 */
export function isRetryable(err: unknown): boolean {
  if (egressRefusalOf(err)) return false;
  if (err instanceof LlmTimeoutError) return true;
  if (err instanceof LlmStreamError) return err.status === undefined || isRetryableStatus(err.status);
  if (err instanceof APIConnectionError) return !(err instanceof APIUserAbortError);
  if (!(err instanceof APIError) || err.status === undefined) return false;
  const hint = err.headers?.get('x-should-retry');
  if (hint === 'false') return false;
  if (hint === 'true') return true;
  return isRetryableStatus(err.status);
}

/** Retry-After (`retry-after-ms`, then `retry-after` in seconds or as a date), else exponential backoff; capped. */
export function retryDelayMs(err: unknown, retry: number, settings: Pick<LlmSettings, 'maxRetryDelayMs' | 'retryBaseDelayMs'>): number {
  const maxMs = settings.maxRetryDelayMs ?? 30_000;
  const headers = err instanceof APIError ? err.headers : undefined;
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  const after = headers?.get('retry-after');
  let delay = (settings.retryBaseDelayMs ?? 1000) * 2 ** retry;
  if (Number.isFinite(ms) && ms >= 0) delay = ms;
  else if (after && Number.isFinite(Number(after))) delay = Number(after) * 1000;
  else if (after && !Number.isNaN(Date.parse(after))) delay = Math.max(0, Date.parse(after) - Date.now());
  return Math.min(delay, maxMs);
}

const capped = (text: string): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_PROVIDER_MESSAGE_CHARS ? `${line.slice(0, MAX_PROVIDER_MESSAGE_CHARS)}…` : line;
};

/** The message inside a JSON error body, in the shapes servers use: OpenAI's, vLLM's, Ollama's, FastAPI's. */
function messageOfJson(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string')
    return (error as { message: string }).message;
  if (typeof record.message === 'string') return record.message;
  if (typeof record.detail === 'string') return record.detail;
  return undefined;
}

/** A non-JSON body in a few words: an HTML page by its title, other text capped. Never the whole page. */
function summariseBody(text: string): string | undefined {
  if (/<html|<!doctype/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    return title ? `an HTML page titled "${title}"` : 'an HTML page';
  }
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** What the provider said, from whichever shape it used; '' when it said nothing. */
function providerMessage(err: APIError | LlmStreamError): string {
  if (err instanceof LlmStreamError) return err.message;
  const parsed = messageOfJson({ error: err.error });
  if (parsed) return parsed;
  const body = errorBodyOf(err);
  if (body === undefined) return '';
  try {
    return messageOfJson(JSON.parse(body)) ?? '';
  } catch {
    return summariseBody(body) ?? '';
  }
}

/** `(429 rate_limit_exceeded)`: the status and a string code, never `undefined` nor the status twice. */
function statusLabel(err: APIError): string {
  const parts = [err.status === undefined ? undefined : String(err.status)];
  const code = err.code;
  if (typeof code === 'string' && code !== '' && code !== String(err.status)) parts.push(code);
  return parts.filter(Boolean).join(' ');
}

/**
 * The provider's complaint in one line, for error events and llm-test: what failed, the status, and the provider's
 * own message (taken from its JSON error in any common shape; a non-JSON body is summarised, an HTML page by its
 * title). Capped at `MAX_PROVIDER_MESSAGE_CHARS`; `mask` hides secrets (the run's secret values and the API key).
 */
export function describeLlmError(err: unknown, mask: (text: string) => string = (text) => text): string {
  if (err instanceof LlmTimeoutError) return `LLM request timed out: ${err.message}`;
  if (err instanceof LlmStreamError) {
    const label = [err.status, err.code].filter((part) => part !== undefined && part !== '').join(' ');
    return mask(`LLM stream failed${label ? ` (${label})` : ''}: ${capped(err.message)}`);
  }
  if (err instanceof APIConnectionTimeoutError) return 'LLM request timed out before the provider answered';
  if (err instanceof APIConnectionError) {
    const cause = err.cause instanceof Error ? err.cause.message : undefined;
    return mask(`LLM connection failed: ${capped(cause && cause !== err.message ? `${err.message} (${cause})` : err.message)}`);
  }
  if (err instanceof APIError) {
    const label = statusLabel(err);
    const message = capped(providerMessage(err));
    return mask(`LLM request failed${label ? ` (${label})` : ''}${message ? `: ${message}` : ': the provider sent no explanation'}`);
  }
  return mask(`LLM request failed: ${capped(err instanceof Error ? err.message : String(err))}`);
}

export const describeAuthError = (err: APIError, mask: (text: string) => string = (text) => text): string => {
  const message = capped(providerMessage(err));
  return mask(`The LLM provider refused the credentials (${err.status})${message ? `: ${message}` : ''}`);
};

/**
 * Why the server refused to call the LLM endpoint, naming the setting at fault (`field`, e.g. `llm_base_url`) and
 * what the guard saw; never anything the remote end sent (it was not asked, or its redirect was not followed).
 */
export function describeEgressRefusal(err: EgressRefusedError, llm: Pick<LlmSettings, 'baseURL' | 'baseUrlField'>): string {
  const where = llm.baseUrlField ? `${llm.baseUrlField} (${llm.baseURL})` : `the LLM endpoint ${llm.baseURL}`;
  const fix =
    err.range === 'redirect'
      ? `set ${llm.baseUrlField ?? 'the base URL'} to the address it redirects to`
      : `use a public endpoint, or ask the operator to allow this one (EGRESS_ALLOWED_HOSTS)`;
  return `The server refused to call ${where}: ${err.message}. Nothing was sent there; ${fix}.`;
}

/**
 * The class of an LLM failure, the same for runs and for `llm-test` (see the SDK's `LLM_ERROR_CODES`): 401/403 →
 * `llm_auth`, 404 → `llm_model_not_found`, 429 → `llm_rate_limited`, context too long → `llm_context_length`, the
 * egress guard's refusal → `egress_refused`, no HTTP answer → `llm_unreachable`, a deadline → `llm_timeout`, anything
 * else (a broken stream too) → `llm_error`.
 */
export function classifyLlmError(err: unknown): LlmErrorCode {
  if (egressRefusalOf(err)) return 'egress_refused';
  if (err instanceof LlmTimeoutError || err instanceof APIConnectionTimeoutError) return 'llm_timeout';
  if (err instanceof LlmStreamError) {
    if (isContextLengthError(err)) return 'llm_context_length';
    return err.status === 429 ? 'llm_rate_limited' : 'llm_error';
  }
  if (err instanceof APIConnectionError) return 'llm_unreachable';
  if (!(err instanceof APIError) || err.status === undefined) return 'llm_error';
  if (isAuthError(err)) return 'llm_auth';
  if (isContextLengthError(err)) return 'llm_context_length';
  if (err.status === 404) return 'llm_model_not_found';
  if (err.status === 429) return 'llm_rate_limited';
  return 'llm_error';
}

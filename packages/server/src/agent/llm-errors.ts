import type { LlmErrorCode } from '@metisai/sdk/schemas';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { LlmSettings } from './run-options.ts';

const providerMessage = (err: APIError): string => {
  const body = err.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : err.message;
};

export const isAbortError = (err: unknown): boolean => err instanceof APIUserAbortError || (err instanceof Error && err.name === 'AbortError');

export const isAuthError = (err: unknown): err is APIError => err instanceof APIError && (err.status === 401 || err.status === 403);

export const isContextLengthError = (err: unknown): boolean =>
  err instanceof APIError && (err.code === 'context_length_exceeded' || /context.length|maximum context/i.test(providerMessage(err)));

/** 408, 409, 429, 5xx and connection failures, unless the provider sent `x-should-retry: false`. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof APIConnectionError) return !(err instanceof APIUserAbortError);
  if (!(err instanceof APIError) || err.status === undefined) return false;
  const hint = err.headers?.get('x-should-retry');
  if (hint === 'false') return false;
  if (hint === 'true') return true;
  return err.status === 408 || err.status === 409 || err.status === 429 || err.status >= 500;
}

/** Retry-After (`retry-after-ms`, then `retry-after` in seconds or as a date), else exponential backoff; capped. */
export function retryDelayMs(err: unknown, retry: number, settings: LlmSettings): number {
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

/** The provider's complaint in one line, for error events. */
export function describeLlmError(err: unknown): string {
  if (err instanceof APIConnectionError) return `LLM connection failed: ${err.message}`;
  if (err instanceof APIError) return `LLM request failed (${err.status}${err.code ? ` ${err.code}` : ''}): ${providerMessage(err)}`;
  return `LLM request failed: ${err instanceof Error ? err.message : String(err)}`;
}

export const describeAuthError = (err: APIError): string => `The LLM provider refused the credentials (${err.status}): ${providerMessage(err)}`;

/**
 * The class of an LLM failure, the same for runs and for `llm-test` (see the SDK's `LLM_ERROR_CODES`): 401/403 →
 * `llm_auth`, 404 → `llm_model_not_found`, 429 → `llm_rate_limited`, context too long → `llm_context_length`, no HTTP
 * answer → `llm_unreachable` (`llm_timeout` when it timed out), anything else → `llm_error`.
 */
export function classifyLlmError(err: unknown): LlmErrorCode {
  if (err instanceof APIConnectionTimeoutError) return 'llm_timeout';
  if (err instanceof APIConnectionError) return 'llm_unreachable';
  if (!(err instanceof APIError) || err.status === undefined) return 'llm_error';
  if (isAuthError(err)) return 'llm_auth';
  if (isContextLengthError(err)) return 'llm_context_length';
  if (err.status === 404) return 'llm_model_not_found';
  if (err.status === 429) return 'llm_rate_limited';
  return 'llm_error';
}

import { APIConnectionError, APIError } from 'openai';
import { describe, expect, test } from 'vitest';
import { classifyLlmError, describeLlmError, isContextLengthError, isRetryable, LlmStreamError, LlmTimeoutError, retryDelayMs } from './llm-errors.ts';

const apiError = (status: number, error: unknown, headers: Record<string, string> = {}) =>
  APIError.generate(status, { error }, undefined, new Headers(headers));

describe('retryDelayMs', () => {
  test('retry-after-ms, then retry-after seconds or date, else exponential backoff, capped', () => {
    const settings = { retryBaseDelayMs: 100, maxRetryDelayMs: 5000 };
    expect(retryDelayMs(apiError(429, {}, { 'retry-after-ms': '250' }), 0, settings)).toBe(250);
    expect(retryDelayMs(apiError(429, {}, { 'retry-after': '2' }), 0, settings)).toBe(2000);
    expect(retryDelayMs(apiError(429, {}, { 'retry-after': '60' }), 0, settings)).toBe(5000);
    expect(retryDelayMs(apiError(503, {}), 3, settings)).toBe(800);
    expect(retryDelayMs(new LlmTimeoutError('idle', 1), 1, settings)).toBe(200);
  });
});

describe('classification and retries', () => {
  test.each([
    [apiError(401, { message: 'bad key' }), 'llm_auth', false],
    [apiError(404, { message: 'no model' }), 'llm_model_not_found', false],
    [apiError(429, { message: 'slow' }), 'llm_rate_limited', true],
    [apiError(400, { message: 'request (4390 tokens) exceeds the available context size (4096 tokens)', code: 400 }), 'llm_context_length', false],
    [apiError(400, { message: 'prompt is too long: 202609 tokens > 200000 maximum' }), 'llm_context_length', false],
    [apiError(500, { message: 'input exceeds context length' }), 'llm_context_length', true],
    [new APIConnectionError({ message: 'Connection error.' }), 'llm_unreachable', true],
    [new LlmTimeoutError('total', 600), 'llm_timeout', true],
    [new LlmStreamError('incomplete_stream', 'closed'), 'llm_error', true],
    [new LlmStreamError('provider_error', 'bad request', { status: 400 }), 'llm_error', false],
  ])('%s → %s', (err, code, retryable) => {
    expect(classifyLlmError(err)).toBe(code);
    expect(isRetryable(err)).toBe(retryable);
  });

  test('x-should-retry wins', () => {
    expect(isRetryable(apiError(500, {}, { 'x-should-retry': 'false' }))).toBe(false);
    expect(isRetryable(apiError(400, {}, { 'x-should-retry': 'true' }))).toBe(true);
  });

  test('context length in an in-stream error object', () => {
    expect(isContextLengthError(new LlmStreamError('provider_error', "This model's maximum context length is 8192 tokens"))).toBe(true);
    expect(isContextLengthError(new LlmStreamError('incomplete_stream', 'context length'))).toBe(false);
  });
});

describe('describeLlmError', () => {
  test('never `undefined`, never the status twice, masked and capped', () => {
    expect(describeLlmError(apiError(400, { message: 'nope', code: 400 }))).toBe('LLM request failed (400): nope');
    expect(describeLlmError(apiError(400, { message: 'nope', code: '400' }))).toBe('LLM request failed (400): nope');
    expect(describeLlmError(apiError(429, { message: 'slow', code: 'rate_limit_exceeded' }))).toBe('LLM request failed (429 rate_limit_exceeded): slow');
    expect(describeLlmError(APIError.generate(500, undefined, undefined, new Headers()))).toBe('LLM request failed (500): the provider sent no explanation');
    expect(describeLlmError(new LlmStreamError('provider_error', 'gone', { status: 502 }))).toBe('LLM stream failed (502): gone');
    expect(describeLlmError(apiError(400, { message: 'key sk-secret' }), (text) => text.replace('sk-secret', '<secret_hidden>'))).toBe(
      'LLM request failed (400): key <secret_hidden>',
    );
    expect(describeLlmError(apiError(400, { message: 'y'.repeat(900) })).length).toBeLessThan(560);
  });
});

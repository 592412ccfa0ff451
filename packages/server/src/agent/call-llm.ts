import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { toChatMessages } from './chat-messages.ts';
import { condenseBoundary } from './condense.ts';
import { LlmAbortedError, type LlmReply, streamCompletion } from './llm.ts';
import { egressRefusalOf } from '../security/egress-guard.ts';
import {
  classifyLlmError,
  describeAuthError,
  describeEgressRefusal,
  describeLlmError,
  isAbortError,
  isAuthError,
  isContextLengthError,
  isRetryable,
  retryDelayMs,
} from './llm-errors.ts';
import type { RunContext } from './run-context.ts';
import { aborted, type LlmFailureCode, llmFailure, type RunEnd } from './run-ends.ts';

export type LlmOutcome = { reply: LlmReply; messageId: string } | { end: RunEnd };

const failure = (code: LlmFailureCode, message: string): { end: RunEnd } => ({ end: llmFailure(code, message) });

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts. */
const sleep = (ms: number, signal?: AbortSignal): Promise<boolean> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const handleAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', handleAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', handleAbort, { once: true });
  });

/**
 * One LLM reply for the conversation so far. Retries (429, 5xx, connection, deadlines, broken streams) and condensing
 * (context too long) are reported as error events; each attempt streams its text (`delta`) and reasoning
 * (`reasoning_delta`) under a fresh `message_id`, secrets masked. A user stop while the reply streams keeps what had
 * arrived as an assistant message with `finish_reason: user_stop`.
 */
export async function callLlm(run: RunContext, systemPrompt: string): Promise<LlmOutcome> {
  const { llm, signal } = run.options;
  const maxRetries = llm.maxRetries ?? 3;
  const mask = (text: string) => run.errorMasker.mask(text);
  let retries = 0;
  let hasCondensed = false;
  for (;;) {
    if (run.isStopped) return { end: aborted(run.stopReason) };
    const messageId = run.newId();
    const text = run.masker.stream();
    const reasoning = run.masker.stream();
    const messages: ChatCompletionMessageParam[] = run.masker.maskDeep([
      { role: 'system', content: systemPrompt },
      ...toChatMessages(run.events, run.condenseBefore, run.sandbox.workdir),
    ]);
    try {
      const request = {
        model: llm.model,
        messages,
        tools: run.tools.map((tool) => tool.definition),
        signal,
        timeoutMs: run.llmTimeoutMs,
        idleTimeoutMs: run.llmIdleTimeoutMs,
      };
      const reply = await streamCompletion(run.client, request, {
        onText: (delta) => run.emitDelta(messageId, text.push(delta)),
        onReasoning: (delta) => run.emitReasoningDelta(messageId, reasoning.push(delta)),
      });
      await run.emitReasoningDelta(messageId, reasoning.flush());
      await run.emitDelta(messageId, text.flush());
      run.options.onLlmCall?.('ok');
      if (reply.usage) run.addUsage(reply.usage);
      return { reply, messageId };
    } catch (err) {
      if (err instanceof LlmAbortedError && run.stopReason === 'user_stop') await keepPartial(run, messageId, err.partial);
      if (run.isStopped || isAbortError(err)) return { end: aborted(run.stopReason) };
      run.options.onLlmCall?.(classifyLlmError(err));
      const refusal = egressRefusalOf(err);
      if (refusal) return failure('egress_refused', mask(describeEgressRefusal(refusal, llm)));
      if (isAuthError(err)) return failure('llm_auth', describeAuthError(err, mask));
      if (isContextLengthError(err)) {
        const boundary = condenseBoundary(run.events, run.condenseBefore);
        if (hasCondensed || boundary === run.condenseBefore) return failure('llm_context_length', describeLlmError(err, mask));
        hasCondensed = true;
        run.condenseBefore = boundary;
        await run.emit({
          type: 'error',
          code: 'llm_context_condensed',
          message: `${describeLlmError(err, mask)}; older tool outputs were condensed and the request is sent again.`,
        });
        continue;
      }
      if (!isRetryable(err) || retries >= maxRetries) {
        const code = classifyLlmError(err) === 'llm_timeout' ? 'llm_timeout' : 'llm_error';
        return failure(code, `${describeLlmError(err, mask)}${retries > 0 ? ` (after ${retries} retries)` : ''}`);
      }
      const delayMs = retryDelayMs(err, retries, llm);
      retries++;
      await run.emit({
        type: 'error',
        code: 'llm_retry',
        message: `${describeLlmError(err, mask)}; retry ${retries} of ${maxRetries} in ${(delayMs / 1000).toFixed(1)} s.`,
      });
      if (!(await sleep(delayMs, signal))) return { end: aborted(run.stopReason) };
    }
  }
}

/** The text (and reasoning) that had streamed when the user stopped: stored as what it is, an interrupted reply. */
async function keepPartial(run: RunContext, messageId: string, partial: LlmReply): Promise<void> {
  if (!partial.content && !partial.reasoning) return;
  await run.emit({
    type: 'message',
    id: messageId,
    role: 'assistant',
    content: partial.content,
    finish_reason: 'user_stop',
    ...(partial.reasoning ? { reasoning_content: partial.reasoning, reasoning_field: partial.reasoningField ?? 'reasoning_content' } : {}),
  });
}

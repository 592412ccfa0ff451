import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { toChatCompletionChunks } from './chat-completion-chunks.ts';
import { toChatCompletion } from './chat-completion.ts';
import { parseChatRequest, type ChatRequest } from './chat-request.ts';
import { OpenAiHttpError } from './openai-http-error.ts';
import { toReply } from './reply.ts';
import type { ErrorSpec, StreamPause, Turn } from './turn.ts';
import { checkRequestRules } from './request-rules.ts';
import { countPromptTokens } from './usage.ts';
import { serveWire } from './wire.ts';

/** What the server hands to one chat completion: the script and the recording live there. */
export interface ChatCompletionContext {
  /** Records the validated request and plays the script for it; `requestNumber` is 1-based and server-wide. */
  playTurn(request: ChatRequest): Promise<{ turn: Turn; requestNumber: number }>;
  chunkDelayMs: number;
  signal: AbortSignal;
}

const waitForAbort = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new OpenAiHttpError(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    );
  }
};

const toHttpError = (spec: ErrorSpec): OpenAiHttpError => {
  const headers: Record<string, string> = {};
  if (spec.retryAfterSeconds !== undefined) headers['retry-after'] = String(spec.retryAfterSeconds);
  if (spec.retryAfterMs !== undefined) headers['retry-after-ms'] = String(spec.retryAfterMs);
  if (spec.shouldRetry !== undefined) headers['x-should-retry'] = String(spec.shouldRetry);
  const code = spec.code !== undefined ? spec.code : spec.status === 429 ? 'rate_limit_exceeded' : null;
  return new OpenAiHttpError(spec.status, spec.message, { type: spec.type, param: spec.param ?? null, code, headers });
};

/** `POST /v1/chat/completions`: validate, record, play the turn, answer as JSON or as server-sent events. */
export const serveChatCompletion = async (req: IncomingMessage, res: ServerResponse, context: ChatCompletionContext): Promise<void> => {
  const { signal } = context;
  const request = parseChatRequest(await readBody(req));
  const { turn, requestNumber } = await context.playTurn(request);

  checkRequestRules(turn.rules, request);
  if ('hang' in turn) return waitForAbort(signal);
  if (turn.delayMs) await sleep(turn.delayMs, undefined, { signal });
  if ('wire' in turn) return serveWire(res, turn.wire, signal);
  if ('error' in turn) throw toHttpError(turn.error);
  if ('contextLengthExceeded' in turn) {
    const maxTokens = (turn.contextLengthExceeded === true ? undefined : turn.contextLengthExceeded.maxTokens) ?? 128_000;
    const tokens = Math.max(countPromptTokens(request), maxTokens + 1);
    throw new OpenAiHttpError(
      400,
      `This model's maximum context length is ${maxTokens} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
      { param: 'messages', code: 'context_length_exceeded' },
    );
  }

  const reply = toReply(turn, request, requestNumber);
  if (request.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(toChatCompletion(reply)));
    return;
  }

  const chunks = toChatCompletionChunks(reply, request.stream_options?.include_usage === true);
  const chunkDelayMs = turn.chunkDelayMs ?? context.chunkDelayMs;
  const pause: StreamPause | undefined = turn.streamPause;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  for (let sent = 0; sent <= chunks.length; sent += 1) {
    if (pause && sent === Math.min(pause.afterChunks, chunks.length)) {
      if ('hang' in pause) return waitForAbort(signal);
      await sleep(pause.ms, undefined, { signal });
    }
    if (sent === chunks.length) break;
    if (sent > 0 && chunkDelayMs > 0) await sleep(chunkDelayMs, undefined, { signal });
    res.write(`data: ${JSON.stringify(chunks[sent])}\n\n`);
  }
  res.end('data: [DONE]\n\n');
};

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type OpenAI from 'openai';
import type { ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { CallDeadlines } from './call-deadlines.ts';
import { LlmStreamError } from './llm-errors.ts';
import { type LlmReply, ReplyAssembler, type ReplyDelta } from './reply-assembler.ts';

export type { LlmReply } from './reply-assembler.ts';

export interface CompletionRequest {
  model: string;
  messages: ChatCompletionMessageParam[];
  /** Omitted from the request when empty (some servers refuse `tools: []`). */
  tools?: ChatCompletionFunctionTool[];
  /** The run's signal: aborting it ends the call with `LlmAbortedError`. */
  signal?: AbortSignal;
  /** Nothing received for this long (keep-alive comments count as something) ends the call: `LlmTimeoutError`. */
  idleTimeoutMs: number;
  /** The whole call (headers and stream) may take this long: `LlmTimeoutError`. */
  timeoutMs: number;
  /** `first_chunk`: stop reading after the first chunk (or a JSON answer) and answer what it held (llm-test). */
  until?: 'end' | 'first_chunk';
}

export interface StreamHandlers {
  /** Answer text as it arrives (`<think>` blocks removed). */
  onText?: (text: string) => Promise<void> | void;
  /** Reasoning as it arrives (`reasoning_content`, `reasoning`, or `<think>` blocks). */
  onReasoning?: (text: string) => Promise<void> | void;
}

/** The run's signal aborted the call (the user stopped it, or the server shuts down); `partial` is what had arrived. */
export class LlmAbortedError extends Error {
  override name = 'AbortError';
  readonly partial: LlmReply;
  constructor(partial: LlmReply) {
    super('the LLM call was aborted');
    this.partial = partial;
  }
}

/** The status an in-stream error object names (OpenRouter: `error.code: 502`), if it is one. */
const statusOf = (code: unknown): number | undefined => (typeof code === 'number' && code >= 400 && code <= 599 ? code : undefined);

/** Throws the error object a provider put inside a 200 answer, or a named `event: error`. */
function throwIfError(event: EventSourceMessage | undefined, value: unknown): void {
  const error = (value as { error?: unknown } | null)?.error;
  if (event?.event !== 'error' && (error === undefined || error === null)) return;
  const body = (typeof error === 'object' && error !== null ? error : value) as { message?: unknown; code?: unknown; type?: unknown };
  const message = typeof error === 'string' ? error : typeof body.message === 'string' ? body.message : JSON.stringify(body).slice(0, 500);
  const code = typeof body.code === 'string' ? body.code : typeof body.type === 'string' ? body.type : undefined;
  throw new LlmStreamError('provider_error', message, { status: statusOf(body.code), code });
}

/** Blank data lines and `data: : keep-alive`-style lines some relays send between chunks. */
const isKeepAlive = (data: string) => /^:?\s*(ping|keep[-_ ]?alive)?\s*$/i.test(data);

/**
 * One chat completion, streamed, checked and put back together (see `ReplyAssembler` for the chunk shapes it takes).
 * It reads the SSE body itself rather than through the `openai` stream helper, because that helper ends quietly when
 * the connection drops or the request is aborted, and drops comments:
 * - the idle deadline restarts on every byte received (SSE comments such as OpenRouter's `: OPENROUTER PROCESSING`
 *   included); the total deadline covers headers and stream (`LlmTimeoutError`);
 * - a stream that closes without `[DONE]` and without a `finish_reason`, a socket reset, an error object inside the
 *   200 answer, or a chunk that is not JSON throw `LlmStreamError`: never a reply;
 * - a plain `chat.completion` JSON answered to the streaming request is used as is;
 * - aborting `request.signal` throws `LlmAbortedError` carrying what had arrived.
 * HTTP errors before the stream are the `openai` client's `APIError`s.
 */
export async function streamCompletion(client: OpenAI, request: CompletionRequest, handlers: StreamHandlers = {}): Promise<LlmReply> {
  const deadlines = new CallDeadlines({ idleMs: request.idleTimeoutMs, totalMs: request.timeoutMs });
  const signal = request.signal ? AbortSignal.any([request.signal, deadlines.signal]) : deadlines.signal;
  const assembler = new ReplyAssembler();
  /** The error to throw for `err`: a deadline or the run's abort take precedence over what the transport said. */
  const failure = (err: unknown): unknown => {
    const timeout = deadlines.error();
    if (timeout) return timeout;
    if (request.signal?.aborted) {
      assembler.flush();
      return new LlmAbortedError(assembler.reply());
    }
    return err;
  };
  const publish = async (delta: ReplyDelta) => {
    if (delta.reasoning) await handlers.onReasoning?.(delta.reasoning);
    if (delta.text) await handlers.onText?.(delta.text);
  };
  try {
    const body = {
      model: request.model,
      messages: request.messages,
      ...(request.tools && request.tools.length > 0 ? { tools: request.tools } : {}),
      stream: true as const,
      stream_options: { include_usage: true },
    };
    let response: Response;
    try {
      response = await client.chat.completions.create(body, { signal }).asResponse();
    } catch (err) {
      throw failure(err);
    }
    deadlines.touch();
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.includes('text/event-stream') && contentType.includes('json')) {
      let text: string;
      try {
        text = await response.text();
      } catch (err) {
        throw failure(new LlmStreamError('connection_lost', `the connection broke while reading the answer: ${(err as Error).message}`, { cause: err }));
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new LlmStreamError('malformed_chunk', `the provider answered JSON that does not parse: ${text.slice(0, 100)}`);
      }
      throwIfError(undefined, value);
      await publish(assembler.push(value));
      await publish(assembler.flush());
      return assembler.reply();
    }
    return await readEvents(response, request, assembler, publish, failure, deadlines);
  } finally {
    deadlines.dispose();
  }
}

async function readEvents(
  response: Response,
  request: CompletionRequest,
  assembler: ReplyAssembler,
  publish: (delta: ReplyDelta) => Promise<void>,
  failure: (err: unknown) => unknown,
  deadlines: CallDeadlines,
): Promise<LlmReply> {
  if (!response.body) throw new LlmStreamError('incomplete_stream', 'the provider answered 200 with no body');
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let isDone = false;
  let chunks = 0;
  try {
    while (!isDone) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (err) {
        throw failure(new LlmStreamError('connection_lost', `the connection broke mid-stream: ${(err as Error).message}`, { cause: err }));
      }
      if (read.done) break;
      deadlines.touch();
      parser.feed(decoder.decode(read.value, { stream: true }));
      for (const event of events.splice(0)) {
        const data = event.data.trim();
        if (data === '[DONE]') {
          isDone = true;
          break;
        }
        let value: unknown;
        try {
          value = JSON.parse(data);
        } catch {
          if (event.event !== 'error' && isKeepAlive(data)) continue;
          throwIfError(event, { error: data });
          throw new LlmStreamError('malformed_chunk', `the provider sent a chunk that is not JSON: ${data.slice(0, 100)}`);
        }
        throwIfError(event, value);
        await publish(assembler.push(value));
        chunks++;
        if (request.until === 'first_chunk') isDone = true;
      }
    }
  } finally {
    if (isDone) void reader.cancel().catch(() => undefined);
  }
  if (!isDone && !assembler.hasFinished) {
    throw new LlmStreamError(
      'incomplete_stream',
      chunks === 0 ? 'the stream closed before any chunk arrived' : 'the stream closed before the reply was complete (no finish_reason, no [DONE])',
    );
  }
  await publish(assembler.flush());
  return assembler.reply();
}

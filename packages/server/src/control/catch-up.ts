import { randomUUID } from 'node:crypto';
import type { CatchUpEvent } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import type { CatchUpPiece, ControlChannel, ControlMessage } from './control-channel.ts';

/** Postgres refuses NOTIFY payloads of 8000 bytes or more; each part stays below this. */
const MAX_PART_BYTES = 7900;
/** A piece shorter than this is not started at the end of a part: it goes to the next one. */
const MIN_CHUNK_BYTES = 64;
/** How long a stream waits for the process running its conversation before it goes on without a catch-up. */
export const CATCH_UP_TIMEOUT_MS = 1500;

type CatchUpResponse = Extract<ControlMessage, { kind: 'catch_up_response' }>;

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** The longest head of `text` whose JSON string body fits in `budget` bytes, split between code points. */
function head(text: string, budget: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const cost = jsonBytes(char) - 2;
    if (bytes + cost > budget) break;
    bytes += cost;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * The `catch_up_response` messages that carry `pieces` (in order), each JSON payload under NOTIFY's limit: long texts
 * are split into several pieces of the same field with increasing offsets. Always at least one message (an empty one
 * says "nothing in flight").
 */
export function catchUpResponses(conversationId: string, requestId: string, pieces: readonly CatchUpPiece[]): CatchUpResponse[] {
  const envelope = (part: CatchUpPiece[]): CatchUpResponse => ({
    kind: 'catch_up_response',
    conversation_id: conversationId,
    request_id: requestId,
    part: 999_999,
    parts: 999_999,
    pieces: part,
  });
  const parts: CatchUpPiece[][] = [];
  let current: CatchUpPiece[] = [];
  let size = jsonBytes(envelope([]));
  const flush = () => {
    parts.push(current);
    current = [];
    size = jsonBytes(envelope([]));
  };
  for (const piece of pieces) {
    const overhead = jsonBytes({ ...piece, offset: 999_999_999_999, text: '' }) + 1;
    if (piece.text === '') {
      // A message whose first character has not come yet: it is in flight all the same.
      if (MAX_PART_BYTES - size - overhead < 0) flush();
      current.push(piece);
      size += overhead;
      continue;
    }
    let rest = piece.text;
    let offset = piece.offset;
    while (rest.length > 0) {
      const room = MAX_PART_BYTES - size - overhead;
      if (room < MIN_CHUNK_BYTES) {
        flush();
        continue;
      }
      const chunk = head(rest, room);
      current.push({ ...piece, offset, text: chunk });
      size += overhead + jsonBytes(chunk) - 2;
      offset += chunk.length;
      rest = rest.slice(chunk.length);
      if (rest.length > 0) flush();
    }
  }
  if (current.length > 0 || parts.length === 0) parts.push(current);
  return parts.map((part, index) => ({ ...envelope(part), part: index, parts: parts.length }));
}

/**
 * The `catch_up` events of a whole answer (every part's pieces): one per message (its text and reasoning so far, from
 * the start) and per running command (its output so far, from `offset`), in the order they first appear.
 */
export function catchUpEvents(conversationId: string, pieces: readonly CatchUpPiece[]): CatchUpEvent[] {
  const byKey = new Map<string, { messageId?: string; toolCallId?: string; fields: Map<string, CatchUpPiece[]> }>();
  for (const piece of pieces) {
    const key = piece.message_id ? `m:${piece.message_id}` : `o:${piece.tool_call_id}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = { messageId: piece.message_id, toolCallId: piece.tool_call_id, fields: new Map() };
      byKey.set(key, entry);
    }
    const list = entry.fields.get(piece.field) ?? [];
    list.push(piece);
    entry.fields.set(piece.field, list);
  }
  const joined = (list: CatchUpPiece[] | undefined) => {
    const sorted = [...(list ?? [])].sort((a, b) => a.offset - b.offset);
    return { start: sorted[0]?.offset ?? 0, text: sorted.map((piece) => piece.text).join('') };
  };
  return [...byKey.values()].map((entry): CatchUpEvent => {
    const content = joined(entry.fields.get('content'));
    if (entry.toolCallId !== undefined && entry.messageId === undefined) {
      return { type: 'catch_up', conversation_id: conversationId, tool_call_id: entry.toolCallId, content: content.text, offset: content.start };
    }
    const reasoning = entry.fields.get('reasoning_content');
    return {
      type: 'catch_up',
      conversation_id: conversationId,
      message_id: entry.messageId!,
      content: content.text,
      ...(reasoning ? { reasoning_content: joined(reasoning).text } : {}),
    };
  });
}

/** Answers a `catch_up_request`: sends `pieces` in as many parts as they take, one after the other (so in order). */
export async function answerCatchUp(channel: ControlChannel, conversationId: string, requestId: string, pieces: readonly CatchUpPiece[]): Promise<void> {
  for (const message of catchUpResponses(conversationId, requestId, pieces)) await channel.send(message);
}

interface Pending {
  conversationId: string;
  parts: Map<number, CatchUpPiece[]>;
  resolve: (events: CatchUpEvent[]) => void;
}

/**
 * Asks, over the control channel, the process running a conversation what its run has in flight (`catch_up_request`),
 * and gathers that process's answer (`catch_up_response`, in parts) into `catch_up` events. Nobody answering — no
 * process runs it any more — resolves with none after `CATCH_UP_TIMEOUT_MS`, as does an aborted `signal`.
 */
export class CatchUpRequests {
  readonly #channel: ControlChannel;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();
  readonly #unsubscribe: () => void;

  constructor(channel: ControlChannel, logger: Logger, timeoutMs = CATCH_UP_TIMEOUT_MS) {
    this.#channel = channel;
    this.#logger = logger;
    this.#timeoutMs = timeoutMs;
    this.#unsubscribe = channel.on('catch_up_response', (message) => this.#handle(message));
  }

  /** The `catch_up` events of what the conversation's run has in flight now (none when nothing is). */
  async request(conversationId: string, signal?: AbortSignal): Promise<CatchUpEvent[]> {
    const requestId = randomUUID();
    const answer = new Promise<CatchUpEvent[]>((resolve) => {
      const done = (events: CatchUpEvent[]) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abandon);
        this.#pending.delete(requestId);
        resolve(events);
      };
      const abandon = () => done([]);
      const timer = setTimeout(abandon, this.#timeoutMs);
      signal?.addEventListener('abort', abandon, { once: true });
      this.#pending.set(requestId, { conversationId, parts: new Map(), resolve: done });
    });
    if (!signal?.aborted) {
      await this.#channel.send({ kind: 'catch_up_request', conversation_id: conversationId, request_id: requestId }).catch((error: unknown) => {
        this.#logger.warn({ err: error, conversation_id: conversationId }, 'catch-up request not sent');
        this.#pending.get(requestId)?.resolve([]);
      });
    } else {
      this.#pending.get(requestId)?.resolve([]);
    }
    return answer;
  }

  close(): void {
    this.#unsubscribe();
    for (const pending of [...this.#pending.values()]) pending.resolve([]);
  }

  #handle(message: CatchUpResponse): void {
    const pending = this.#pending.get(message.request_id);
    if (!pending || pending.conversationId !== message.conversation_id) return;
    pending.parts.set(message.part, message.pieces);
    if (pending.parts.size < message.parts) return;
    const pieces = [...pending.parts.entries()].sort(([a], [b]) => a - b).flatMap(([, part]) => part);
    pending.resolve(catchUpEvents(message.conversation_id, pieces));
  }
}

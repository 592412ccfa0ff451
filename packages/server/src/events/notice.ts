import { EphemeralEventSchema, type EphemeralEvent } from '@metisai/sdk/schemas';

/** The Postgres channel every process LISTENs on. */
export const EVENTS_CHANNEL = 'metis_events';

/** Postgres refuses NOTIFY payloads of 8000 bytes or more; we stay well below. */
export const MAX_NOTICE_BYTES = 7900;

/** What a NOTIFY on the events channel says: a stored event was committed, or an ephemeral event streams by. */
export type Notice = { kind: 'event'; conversationId: string; seq: number } | { kind: 'ephemeral'; conversationId: string; event: EphemeralEvent };

/**
 * The notice of a stored event is `{"conversation_id": "…", "seq": 12}` (subscribers read the row itself). It is built
 * in SQL by `appendEvents`, in the statement that stores the event, where the `seq` is known: `EVENT_NOTICE_SQL`, with
 * the conversation id as its one parameter and `seq` a column of the statement.
 */
export const EVENT_NOTICE_SQL = "json_build_object('conversation_id', ?::text, 'seq', seq)::text";

/**
 * The delta as JSON, split into as many deltas (same `message_id`, in order) as it takes for each payload to
 * fit in a NOTIFY. Splits fall between code points, never inside a surrogate pair; a delta with an `offset` gives each
 * piece its own (the first piece keeps the delta's).
 */
export function encodeEphemeralNotices(delta: EphemeralEvent): string[] {
  const budget = MAX_NOTICE_BYTES - Buffer.byteLength(JSON.stringify({ ...delta, content: '', ...(delta.offset === undefined ? {} : { offset: 1e15 }) }));
  if (Buffer.byteLength(JSON.stringify(delta.content)) - 2 <= budget) return [JSON.stringify(delta)];
  const chunks: string[] = [];
  let chunk = '';
  let bytes = 0;
  for (const char of delta.content) {
    const cost = Buffer.byteLength(JSON.stringify(char)) - 2;
    if (bytes + cost > budget) {
      chunks.push(chunk);
      chunk = '';
      bytes = 0;
    }
    chunk += char;
    bytes += cost;
  }
  chunks.push(chunk);
  let offset = delta.offset;
  return chunks.map((content) => {
    const piece = JSON.stringify({ ...delta, content, ...(offset === undefined ? {} : { offset }) });
    if (offset !== undefined) offset += content.length;
    return piece;
  });
}

/** Parses a payload from the channel; anything else (another version, a stray NOTIFY) is undefined. */
export function decodeNotice(payload: string | undefined): Notice | undefined {
  if (!payload) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { conversation_id: conversationId, seq, type } = value as { conversation_id?: unknown; seq?: unknown; type?: unknown };
  if (type === 'delta' || type === 'reasoning_delta' || type === 'output') {
    const event = EphemeralEventSchema.safeParse(value);
    return event.success ? { kind: 'ephemeral', conversationId: event.data.conversation_id, event: event.data } : undefined;
  }
  if (typeof conversationId === 'string' && typeof seq === 'number' && Number.isInteger(seq)) return { kind: 'event', conversationId, seq };
  return undefined;
}

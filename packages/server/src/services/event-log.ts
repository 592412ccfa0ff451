import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeltaEvent, EphemeralEvent, Event as EventJson, EventType, Page } from '@metisai/sdk/schemas';
import { EventEntity, type Event } from '../entities/index.ts';
import { toJsonbValue } from '../events/json-text.ts';
import { EVENTS_CHANNEL, encodeEphemeralNotices, encodeEventNotice } from '../events/notice.ts';
import { uuid7 } from '../security/uuid7.ts';
import { toPage } from './paginate.ts';

/** The type-specific fields of an event, as stored in `payload`. */
export type EventPayload<T extends EventType> = Omit<Extract<EventJson, { type: T }>, 'id' | 'seq' | 'conversation_id' | 'created_at' | 'type'>;

export const toEventJson = (event: Event): EventJson =>
  ({
    ...event.payload,
    id: event.id,
    seq: event.seq,
    conversation_id: event.conversationId,
    type: event.type,
    created_at: event.createdAt.toISOString(),
  }) as EventJson;

/**
 * Appends an event to a conversation's log and announces it to every process's live streams. The `seq` comes
 * from a row lock on the conversation taken in the same transaction as the insert, so events commit in `seq`
 * order and a live reader never skips a late commit. The NOTIFY is part of that transaction: Postgres delivers it
 * at commit (of the outermost transaction, when `em` is already in one), never for a rolled-back event.
 */
export async function appendEvent<T extends EventType>(
  em: EntityManager,
  conversationId: string,
  type: T,
  payload: EventPayload<T>,
  /** `id`: chosen up front, e.g. the `message_id` the message's deltas already carried (default: a new UUIDv7). */
  options: { id?: string } = {},
): Promise<EventJson> {
  payload = toJsonbValue(payload); // Postgres refuses NUL and lone surrogates in jsonb: text must never fail a run.
  return em.transactional(async (tx) => {
    const [row] = await tx.execute<{ last_seq: number }[]>(
      'update conversations set last_seq = last_seq + 1, updated_at = now() where id = ? returning last_seq',
      [conversationId],
    );
    if (!row) throw new Error(`conversation ${conversationId} does not exist`);
    const event = tx.create(EventEntity, { id: options.id ?? uuid7(), conversationId, seq: row.last_seq, type, payload: payload as Record<string, unknown> });
    await tx.flush();
    await tx.execute('select pg_notify(?, ?)', [EVENTS_CHANNEL, encodeEventNotice(conversationId, row.last_seq)]);
    return toEventJson(event);
  });
}

/**
 * Streams a piece of an assistant message to the conversation's live clients, in every process. Never stored:
 * a client that is not connected at that moment never sees it, and the complete message event (`message_id`
 * is its id) is what replays. Long content is split into several deltas. Call it outside a transaction (inside
 * one, Postgres delivers at commit and folds identical deltas into one).
 */
export function publishDelta(em: EntityManager, conversationId: string, delta: Pick<DeltaEvent, 'message_id' | 'content'>): Promise<void> {
  return publishEphemeral(em, { type: 'delta', conversation_id: conversationId, message_id: delta.message_id, content: delta.content });
}

/** Streams an ephemeral event (a delta, or a running command's output) to live clients in every process; never stored. */
export async function publishEphemeral(em: EntityManager, event: EphemeralEvent): Promise<void> {
  for (const notice of encodeEphemeralNotices(toJsonbValue(event))) await em.execute('select pg_notify(?, ?)', [EVENTS_CHANNEL, notice]);
}

/** A page of the log after `after` (exclusive), optionally of one type, in `seq` order. */
export async function listEvents(
  em: EntityManager,
  conversationId: string,
  { after = 0, limit, type }: { after?: number; limit: number; type?: EventType },
): Promise<Page<EventJson>> {
  const rows = await em.find(EventEntity, { conversationId, seq: { $gt: after }, ...(type ? { type } : {}) }, { orderBy: { seq: 'asc' }, limit: limit + 1 });
  return toPage(rows, limit, toEventJson, (event) => String(event.seq));
}

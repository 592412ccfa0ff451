import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConversationState, EphemeralEvent, Event as EventJson, EventType, Page } from '@metisai/sdk/schemas';
import { toPage } from '../db/paginate.ts';
import { EventEntity, type Event } from '../entities/index.ts';
import { uuid7 } from '../security/uuid7.ts';
import type { EventInput } from './event-input.ts';
import { toJsonbValue } from './json-text.ts';
import { EVENTS_CHANNEL, encodeEphemeralNotices, encodeEventNotice } from './notice.ts';

export type { EventInput } from './event-input.ts';

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
 * Appends events to a conversation's log, in order, in one transaction, and announces each to every process's live
 * streams. Each `seq` comes from the update of the conversation row in the same transaction as the insert (a row lock
 * held to commit), so events commit in `seq` order and a live reader never skips a late commit. A `state` event also
 * sets `conversations.state` in that update: it is the only writer of that column, so the state a client reads always
 * equals the last stored `state` event. The NOTIFYs are part of the transaction: Postgres delivers them at commit
 * (of the outermost transaction, when `em` is already in one), never for rolled-back events.
 * Throws when the conversation does not exist.
 */
export async function appendEvents(em: EntityManager, conversationId: string, inputs: readonly EventInput[]): Promise<EventJson[]> {
  return em.transactional(async (tx) => {
    const stored: EventJson[] = [];
    for (const input of inputs) {
      const { type, id, ...payload } = toJsonbValue(input); // Postgres refuses NUL and lone surrogates in jsonb.
      const state = type === 'state' ? (payload as { state: ConversationState }).state : undefined;
      const [row] = await tx.execute<{ last_seq: number }[]>(
        state === undefined
          ? 'update conversations set last_seq = last_seq + 1, updated_at = now() where id = ? returning last_seq'
          : 'update conversations set last_seq = last_seq + 1, state = ?, updated_at = now() where id = ? returning last_seq',
        state === undefined ? [conversationId] : [state, conversationId],
      );
      if (!row) throw new Error(`conversation ${conversationId} does not exist`);
      const event = tx.create(EventEntity, { id: id ?? uuid7(), conversationId, seq: row.last_seq, type, payload: payload as Record<string, unknown> });
      await tx.flush();
      await tx.execute('select pg_notify(?, ?)', [EVENTS_CHANNEL, encodeEventNotice(conversationId, row.last_seq)]);
      stored.push(toEventJson(event));
    }
    return stored;
  });
}

/** `appendEvents` of one event; answers it stored. */
export async function appendEvent(em: EntityManager, conversationId: string, input: EventInput): Promise<EventJson> {
  const [event] = await appendEvents(em, conversationId, [input]);
  return event!;
}

/**
 * Streams an ephemeral event (a piece of an assistant message, or a running command's output) to the conversation's
 * live clients in every process. Never stored: a client not connected at that moment never sees it, and the complete
 * event (message, observation) is what replays. Long content is split into several events. Call it outside a
 * transaction (inside one, Postgres delivers at commit and folds identical payloads into one).
 */
export async function publishEphemeral(em: EntityManager, event: EphemeralEvent): Promise<void> {
  for (const notice of encodeEphemeralNotices(toJsonbValue(event))) await em.execute('select pg_notify(?, ?)', [EVENTS_CHANNEL, notice]);
}

/**
 * A page of the log after `after` (exclusive), optionally of one type, in `seq` order. Without `limit`, every event
 * after `after` (what a run reads as its history).
 */
export async function listEvents(
  em: EntityManager,
  conversationId: string,
  { after = 0, limit, type }: { after?: number; limit?: number; type?: EventType },
): Promise<Page<EventJson>> {
  const where = { conversationId, seq: { $gt: after }, ...(type ? { type } : {}) };
  if (limit === undefined) {
    const rows = await em.find(EventEntity, where, { orderBy: { seq: 'asc' } });
    return { data: rows.map(toEventJson), has_more: false, next_after: null };
  }
  const rows = await em.find(EventEntity, where, { orderBy: { seq: 'asc' }, limit: limit + 1 });
  return toPage(rows, limit, toEventJson, (event) => String(event.seq));
}

/**
 * Writes the whole log of a conversation that has none yet (an import): the events get `seq` 1, 2, 3, … in order and
 * keep their `createdAt` when given; the conversation's `last_seq` and `state` follow (its state is the last `state`
 * event's, `idle` without one). Nothing is announced: nobody can follow a conversation that did not exist.
 */
export async function writeImportedLog(em: EntityManager, conversationId: string, inputs: ReadonlyArray<EventInput & { createdAt?: Date }>): Promise<void> {
  await em.transactional(async (tx) => {
    let state: ConversationState = 'idle';
    const rows = inputs.map(({ type, id: _id, createdAt, ...payload }, index) => {
      if (type === 'state') state = (payload as { state: ConversationState }).state;
      return { id: uuid7(), conversationId, seq: index + 1, type, payload: payload as Record<string, unknown>, createdAt: createdAt ?? new Date() };
    });
    for (let start = 0; start < rows.length; start += 500) await tx.insertMany(EventEntity, rows.slice(start, start + 500));
    await tx.execute('update conversations set last_seq = ?, state = ?, updated_at = now() where id = ?', [rows.length, state, conversationId]);
  });
}

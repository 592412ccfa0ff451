import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConversationState, EphemeralEvent, Event as EventJson, EventType, Page } from '@metisai/sdk/schemas';
import { toPage } from '../db/paginate.ts';
import { EventEntity, type Event } from '../entities/index.ts';
import { uuid7 } from '../security/uuid7.ts';
import type { EventInput } from './event-input.ts';
import { toJsonbValue } from './json-text.ts';
import { EVENT_NOTICE_SQL, EVENTS_CHANNEL, encodeEphemeralNotices } from './notice.ts';

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
 * Appends events to a conversation's log, in order, and announces each to every process's live streams. Each `seq`
 * comes from the update of the conversation row in the same transaction as the insert (a row lock held to commit), so
 * events commit in `seq` order and a live reader never skips a late commit. A `state` event also sets
 * `conversations.state` in that update: it is the only writer of that column, so the state a client reads always
 * equals the last stored `state` event. The NOTIFYs are part of the transaction: Postgres delivers them at commit
 * (of the outermost transaction, when `em` is already in one), never for rolled-back events. Several events are
 * stored in one transaction; one event is one statement (its own transaction when `em` is in none).
 * Throws when the conversation does not exist.
 */
export async function appendEvents(em: EntityManager, conversationId: string, inputs: readonly EventInput[]): Promise<EventJson[]> {
  if (inputs.length === 1) return [await appendOne(em, conversationId, inputs[0]!)];
  return em.transactional(async (tx) => {
    const stored: EventJson[] = [];
    for (const input of inputs) stored.push(await appendOne(tx, conversationId, input));
    return stored;
  });
}

/**
 * Stores one event in one statement (one round trip: a step's events are on the agent loop's critical path): the
 * conversation's `last_seq` moved (and its `state`, for a `state` event), the row inserted with that `seq`, and the
 * NOTIFY sent. The row never enters an entity manager's unit of work, so a run's long-lived entity manager does not
 * collect its events and no later flush diffs them (that made a step's server time grow with the run).
 */
async function appendOne(em: EntityManager, conversationId: string, input: EventInput): Promise<EventJson> {
  const { type, id, ...payload } = toJsonbValue(input); // Postgres refuses NUL and lone surrogates in jsonb.
  const state = type === 'state' ? (payload as { state: ConversationState }).state : null;
  const event = { id: id ?? uuid7(), conversationId, type, payload: payload as Record<string, unknown>, createdAt: new Date() };
  const [row] = await em.execute<{ seq: number }[]>(
    `with moved as (
       update conversations set last_seq = last_seq + 1, state = coalesce(?::text, state), updated_at = now() where id = ? returning last_seq
     ), stored as (
       insert into events (id, conversation_id, seq, type, payload, created_at) select ?, ?, last_seq, ?, ?::jsonb, ? from moved returning seq
     )
     select seq, pg_notify(?, ${EVENT_NOTICE_SQL}) from stored`,
    [state, conversationId, event.id, conversationId, type, JSON.stringify(payload), event.createdAt, EVENTS_CHANNEL, conversationId],
  );
  if (!row) throw new Error(`conversation ${conversationId} does not exist`);
  return toEventJson({ ...event, seq: row.seq } as Event);
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

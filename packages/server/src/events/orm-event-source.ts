import type { Orm } from '../db/orm.ts';
import { listEvents } from '../services/event-log.ts';
import { EVENTS_CHANNEL } from './notice.ts';
import type { EventSource } from './conversation-feed.ts';

/** Reads the event log through the ORM's pool, each read on a fresh EntityManager. */
export const ormEventSource = (orm: Orm): EventSource => ({
  readAfter: async (conversationId, after, limit) => (await listEvents(orm.em.fork(), conversationId, { after, limit })).data,
  notify: async (payload) => {
    await orm.em.fork().execute('select pg_notify(?, ?)', [EVENTS_CHANNEL, payload]);
  },
  lastSeq: async (conversationId) => {
    const [row] = await orm.em.fork().execute<{ last_seq: number }[]>('select last_seq from conversations where id = ?', [conversationId]);
    return row?.last_seq ?? 0;
  },
});

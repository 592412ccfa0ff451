import type { Orm } from '../db/orm.ts';
import { ConversationEntity } from '../entities/index.ts';
import type { EventSource } from './conversation-feed.ts';
import { listEvents } from './event-log.ts';

/** Reads the event log through the ORM's pool, each read on a fresh EntityManager. */
export const ormEventSource = (orm: Orm): EventSource => ({
  readAfter: async (conversationId, after, limit) => (await listEvents(orm.em.fork(), conversationId, { after, limit })).data,
  lastSeq: async (conversationId) => {
    const row = await orm.em.fork().findOne(ConversationEntity, { id: conversationId }, { fields: ['lastSeq'] });
    return row?.lastSeq ?? 0;
  },
});

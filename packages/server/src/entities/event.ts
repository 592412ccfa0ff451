import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { EventType } from '@metisai/sdk/schemas';

/** A conversation's ordered log. `payload` holds the type's own fields. */
export const EventEntity = defineEntity({
  name: 'Event',
  tableName: 'events',
  properties: {
    id: p.uuid().primary(),
    conversationId: p.uuid(),
    seq: p.integer(),
    type: p.text().$type<EventType>(),
    payload: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Event = InferEntity<typeof EventEntity>;

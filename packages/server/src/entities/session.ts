import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One issued access token (its `jti`); revoking the row revokes the token. */
export const SessionEntity = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
    /** Client IP and `User-Agent` of the login (shown in the session list). */
    ip: p.text().nullable(),
    userAgent: p.text().nullable(),
  },
});
export type Session = InferEntity<typeof SessionEntity>;

import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export const JWT_ALGORITHM = 'HS256' as const;
export const JWT_ISSUER = 'metisai';

/** An access token for one session: `sub` = user id, `jti` = session id. */
export function signAccessToken(key: KeyObject, userId: string, sessionId: string, expiresSeconds: number): string {
  return jwt.sign({}, key, {
    algorithm: JWT_ALGORITHM,
    subject: userId,
    jwtid: sessionId,
    issuer: JWT_ISSUER,
    expiresIn: expiresSeconds,
  });
}

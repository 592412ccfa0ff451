import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { uuid7 } from './uuid7.ts';

/** The `aud` of visitor tokens: never that of a session, whose tokens carry none. */
export const EMBED_AUDIENCE = 'metisai:embed';
const ALGORITHM = 'HS256' as const;
const ISSUER = 'metisai';

/** What a visitor token says: whose visitor, of which agent, from which origin, at which policy generation. */
export interface VisitorClaims {
  visitorId: string;
  agentId: string;
  /** The exact origin requests must come from. */
  origin: string;
  /** The agent's `embed_generation` when the token was minted: a later one makes it stale. */
  generation: number;
  tokenId: string;
  expiresAt: Date;
}

/**
 * A visitor token: an HS256 JWT signed with the embed key (`Keys.embedSigning`, not the sessions' key), `aud`
 * `metisai:embed`, `sub` the visitor, `agt` the agent, `org` the origin, `gen` the policy generation; expires after
 * `ttlSeconds`.
 */
export function signVisitorToken(key: KeyObject, claims: Omit<VisitorClaims, 'tokenId' | 'expiresAt'>, ttlSeconds: number): { token: string; expiresAt: Date } {
  const token = jwt.sign({ agt: claims.agentId, org: claims.origin, gen: claims.generation }, key, {
    algorithm: ALGORITHM,
    subject: claims.visitorId,
    audience: EMBED_AUDIENCE,
    issuer: ISSUER,
    jwtid: uuid7(),
    expiresIn: ttlSeconds,
  });
  const { exp } = jwt.decode(token) as { exp: number };
  return { token, expiresAt: new Date(exp * 1000) };
}

/** Does the (unverified) token say it is a visitor token? Only routes it to `verifyVisitorToken`, which decides. */
export function looksLikeVisitorToken(token: string): boolean {
  const decoded = jwt.decode(token);
  if (!decoded || typeof decoded !== 'object') return false;
  const audience = decoded.aud;
  return audience === EMBED_AUDIENCE || (Array.isArray(audience) && audience.includes(EMBED_AUDIENCE));
}

/** The claims of a valid visitor token (signature, algorithm, issuer, audience, expiry), or null. */
export function verifyVisitorToken(key: KeyObject, token: string): VisitorClaims | null {
  let payload: jwt.JwtPayload;
  try {
    payload = jwt.verify(token, key, { algorithms: [ALGORITHM], audience: EMBED_AUDIENCE, issuer: ISSUER }) as jwt.JwtPayload;
  } catch {
    return null;
  }
  const { sub, agt, org, gen, jti, exp } = payload as jwt.JwtPayload & { agt?: unknown; org?: unknown; gen?: unknown };
  if (typeof sub !== 'string' || typeof agt !== 'string' || typeof org !== 'string' || typeof gen !== 'number' || typeof jti !== 'string' || !exp) {
    return null;
  }
  return { visitorId: sub, agentId: agt, origin: org, generation: gen, tokenId: jti, expiresAt: new Date(exp * 1000) };
}

import type { ApiKeyScope } from '@metisai/sdk/schemas';

/** A user calling through a session token or one of their API keys. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  /** The `jti` of the access token, when the call came with one. */
  sessionId: string | null;
  apiKeyId: string | null;
  /** The API key's scopes; null for a session, which may do everything (see `security/scopes.ts`). */
  scopes: readonly ApiKeyScope[] | null;
  /** The agents an API key is restricted to; null when it reaches all of the user's (always for a session). */
  agentIds: readonly string[] | null;
  /** When the credential stops working (the token's `exp`, the key's expiry), or null when it does not expire. */
  expiresAt: Date | null;
}

/**
 * A visitor of an embedded agent, calling with a visitor token from the page it was minted for. It reaches the
 * `/embed/…` routes only (scope `visitor`), and there only its own conversations of that one agent.
 */
export interface VisitorPrincipal {
  kind: 'visitor';
  /** The agent's owner: visitors' conversations are stored under their account. */
  userId: string;
  visitorId: string;
  agentId: string;
  /** The origin the token was minted for (every request must come from it). */
  origin: string;
  /** The agent's policy generation the token was minted at. */
  generation: number;
  tokenId: string;
  expiresAt: Date;
}

/** Who is calling. Routes name the scope they need; `security/scopes.ts` says which kind of caller holds which. */
export type Principal = UserPrincipal | VisitorPrincipal;

/**
 * The user behind a route only users reach (`session`, key scopes): the router refuses visitors before any handler
 * runs, so a visitor here is a bug — thrown as one, never served.
 */
export function userPrincipal(principal: Principal): UserPrincipal {
  if (principal.kind !== 'user') throw new Error('a visitor principal reached a route for users');
  return principal;
}

import type { ApiKeyScope } from '@metisai/sdk/schemas';

/** Who is calling: a user through a session token or one of their API keys. */
export interface Principal {
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

/** Who is calling: a user through a session token or one of their API keys. */
export interface Principal {
  userId: string;
  /** The `jti` of the access token, when the call came with one. */
  sessionId: string | null;
  apiKeyId: string | null;
}

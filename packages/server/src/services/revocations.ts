import type { Logger } from 'pino';

/**
 * What the services announce when credentials stop working, so every server process ends the event streams that
 * still run on them (the control channel carries these; see `control/control-channel.ts`, whose union holds the same
 * members). `revoke_user` covers every session and key of the user but `except_session_id` (and their agents'
 * visitors); `embed_generation` makes every visitor token of the agent minted before `generation` stale.
 */
export type RevocationMessage =
  | { kind: 'revoke_session'; session_id: string }
  | { kind: 'revoke_api_key'; api_key_id: string }
  | { kind: 'revoke_user'; user_id: string; except_session_id: string | null }
  | { kind: 'embed_generation'; agent_id: string; generation: number };

/** Delivers a revocation to every process (this one included). */
export interface RevocationChannel {
  send(message: RevocationMessage): Promise<void>;
}

/** Where a request comes from, for rate limits, the session list and security logs. */
export interface RequestMeta {
  ip: string;
  userAgent: string | undefined;
  /** The request's logger (it carries the request id). */
  log: Logger;
}

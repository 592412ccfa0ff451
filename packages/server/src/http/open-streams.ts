import type { StreamEndCode } from '@metisai/sdk/schemas';
import type { Principal } from '../security/principal.ts';

/** An event stream as the registry knows it: whose credentials it runs on, and how to end it. */
export interface OpenStream {
  readonly principal: Principal;
  /** Sends `stream_end` with `code` and closes the stream. */
  end(code: StreamEndCode, message: string): void;
}

/**
 * Which open streams a revocation ends: a session's, an API key's, a user's (all but one session's; with no exception —
 * the account is going — their agents' visitors' too), or the visitors' of an agent whose tokens predate its embed
 * policy `generation`.
 */
export type RevokedCredentials =
  | { kind: 'session'; sessionId: string }
  | { kind: 'api_key'; apiKeyId: string }
  | { kind: 'user'; userId: string; exceptSessionId: string | null }
  | { kind: 'embed_generation'; agentId: string; generation: number };

const matches = (principal: Principal, revoked: RevokedCredentials): boolean => {
  if (principal.kind === 'visitor') {
    if (revoked.kind === 'embed_generation') return principal.agentId === revoked.agentId && principal.generation < revoked.generation;
    return revoked.kind === 'user' && revoked.exceptSessionId === null && principal.userId === revoked.userId;
  }
  switch (revoked.kind) {
    case 'session':
      return principal.sessionId === revoked.sessionId;
    case 'api_key':
      return principal.apiKeyId === revoked.apiKeyId;
    case 'user':
      return principal.userId === revoked.userId && (revoked.exceptSessionId === null || principal.sessionId !== revoked.exceptSessionId);
    case 'embed_generation':
      return false;
  }
};

/**
 * The event streams open in this process, by the credentials they were opened with, so that a revocation (arriving on
 * the control channel from whichever process revoked) ends them with `stream_end` / `token_revoked`.
 */
export class OpenStreams {
  readonly #streams = new Set<OpenStream>();
  /** Database work of streams that ended (their quota rows), awaited by `drain()`. */
  readonly #cleanups = new Set<Promise<unknown>>();

  get size(): number {
    return this.#streams.size;
  }

  /** Registers a stream; answers the function that forgets it (call it when the stream closes). */
  add(stream: OpenStream): () => void {
    this.#streams.add(stream);
    return () => this.#streams.delete(stream);
  }

  /** Keeps `work` (a closed stream's cleanup) until it settles, so that shutdown can wait for it. */
  track(work: Promise<unknown>): void {
    const tracked = work.finally(() => this.#cleanups.delete(tracked));
    this.#cleanups.add(tracked);
  }

  /** Waits for the cleanups of streams that ended (call after the bus closed them, before the database closes). */
  async drain(): Promise<void> {
    while (this.#cleanups.size > 0) await Promise.allSettled([...this.#cleanups]);
  }

  /**
   * Ends every stream opened with the revoked credentials (`token_revoked`; `token_stale` for visitors' streams whose
   * agent's policy changed); answers how many.
   */
  revoke(revoked: RevokedCredentials): number {
    let count = 0;
    for (const stream of [...this.#streams]) {
      if (!matches(stream.principal, revoked)) continue;
      this.#streams.delete(stream);
      if (revoked.kind === 'embed_generation') stream.end('token_stale', "The agent's embed policy changed; open a new visitor session");
      else stream.end('token_revoked', 'The credentials of this stream were revoked');
      count += 1;
    }
    return count;
  }
}

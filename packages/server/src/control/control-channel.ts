import type { Logger } from 'pino';
import { z } from 'zod/mini';
import type { Orm } from '../db/orm.ts';
import type { PgListener } from '../db/pg-listener.ts';

/**
 * A piece of what is in flight in a run, in a `catch_up_response`: `text` of `field` of the message (`message_id`) or
 * the command's output (`tool_call_id`), starting at `offset` (UTF-16 code units) of the whole.
 */
export const CatchUpPieceSchema = z.object({
  message_id: z.optional(z.string()),
  tool_call_id: z.optional(z.string()),
  field: z.enum(['content', 'reasoning_content']),
  offset: z.number(),
  text: z.string(),
});
export type CatchUpPiece = z.infer<typeof CatchUpPieceSchema>;

/** The Postgres channel control messages travel on (every process LISTENs on it). */
export const CONTROL_CHANNEL = 'metis_control';

/**
 * Messages from one server process to all of them (itself included), for work that lives in whichever process holds
 * it: `stop_conversation` (the process running it aborts the run), `stop_agent` (every run of the agent, and its warm
 * pool), `agent_status` (an agent's start or stop finished and its status is stored: runs waiting for it go on or end),
 * `revoke_session` / `revoke_api_key` / `revoke_user` (open event streams on those credentials end with
 * `stream_end`), `remove_user_sandboxes` (an account is deleted: its runs stop, its pools and sandboxes go),
 * `embed_generation` (an agent's embed policy changed: visitor streams on older tokens end with `token_stale`),
 * `catch_up_request` / `catch_up_response` (a process opening an event stream asks the one running the conversation
 * for the text in flight; the answer comes in parts, each below NOTIFY's limit). Each kind is a zod schema here; a new
 * kind is one more member of the union and a handler registered with `on`.
 */
export const ControlMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('stop_conversation'), conversation_id: z.string() }),
  z.object({ kind: z.literal('stop_agent'), agent_id: z.string() }),
  z.object({ kind: z.literal('agent_status'), agent_id: z.string() }),
  z.object({ kind: z.literal('revoke_session'), session_id: z.string() }),
  z.object({ kind: z.literal('revoke_api_key'), api_key_id: z.string() }),
  z.object({ kind: z.literal('revoke_user'), user_id: z.string(), except_session_id: z.nullable(z.string()) }),
  z.object({ kind: z.literal('remove_user_sandboxes'), user_id: z.string() }),
  z.object({ kind: z.literal('embed_generation'), agent_id: z.string(), generation: z.number() }),
  z.object({ kind: z.literal('catch_up_request'), conversation_id: z.string(), request_id: z.string() }),
  z.object({
    kind: z.literal('catch_up_response'),
    conversation_id: z.string(),
    request_id: z.string(),
    /** This payload's place (0, 1, …) among `parts`. */
    part: z.number(),
    parts: z.number(),
    pieces: z.array(CatchUpPieceSchema),
  }),
]);
export type ControlMessage = z.infer<typeof ControlMessageSchema>;
export type ControlKind = ControlMessage['kind'];

type Handler<K extends ControlKind> = (message: Extract<ControlMessage, { kind: K }>) => void;

export interface ControlChannelOptions {
  /** The process's LISTEN connection; the channel registers itself on it. */
  listener: PgListener;
  /** Sends through the ORM's pool. */
  orm: Orm;
  logger: Logger;
}

/**
 * Typed messages between server processes over Postgres NOTIFY: delivered to every process that is listening at that
 * moment (at most once, never stored — a process that is down misses them, so a message must only ask for what that
 * process would otherwise still be doing). Payloads stay far below Postgres' 8000-byte limit.
 */
export class ControlChannel {
  readonly #options: ControlChannelOptions;
  readonly #handlers = new Map<ControlKind, Set<(message: ControlMessage) => void>>();

  /** Registers the channel on `options.listener`: build it before the listener starts. */
  constructor(options: ControlChannelOptions) {
    this.#options = options;
    options.listener.listen(CONTROL_CHANNEL, (payload) => this.#handle(payload));
  }

  /** Delivers `message` to every listening process, this one included. */
  async send(message: ControlMessage): Promise<void> {
    await this.#options.orm.em.fork().execute('select pg_notify(?, ?)', [CONTROL_CHANNEL, JSON.stringify(message)]);
  }

  /**
   * Calls `listener` when the LISTEN connection is back after a drop: messages sent meanwhile were lost, so whoever
   * waits for one checks the database again. Returns the unsubscribe function.
   */
  onReconnect(listener: () => void): () => void {
    return this.#options.listener.onReconnect(listener);
  }

  /** Calls `handler` with every message of `kind`. Returns the unsubscribe function. */
  on<K extends ControlKind>(kind: K, handler: Handler<K>): () => void {
    const handlers = this.#handlers.get(kind) ?? new Set();
    this.#handlers.set(kind, handlers);
    const registered = handler as (message: ControlMessage) => void;
    handlers.add(registered);
    return () => handlers.delete(registered);
  }

  #handle(payload: string | undefined): void {
    let parsed: ReturnType<typeof ControlMessageSchema.safeParse>;
    try {
      parsed = ControlMessageSchema.safeParse(JSON.parse(payload ?? ''));
    } catch {
      return;
    }
    // Another version's message, or a stray NOTIFY: ignored.
    if (!parsed.success) return;
    for (const handler of this.#handlers.get(parsed.data.kind) ?? []) {
      try {
        handler(parsed.data);
      } catch (error) {
        this.#options.logger.error({ err: error, kind: parsed.data.kind }, 'control message handler failed');
      }
    }
  }
}

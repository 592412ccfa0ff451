import type { EntityManager } from '@mikro-orm/postgresql';
import { validationError } from '../errors.ts';
import type { AppContext } from './app-state.ts';
import { streamEvents } from './event-stream-response.ts';
import type { RouteDeps } from './routes/deps.ts';

/** `Last-Event-ID`: the `seq` of the last event the client has; absent or empty means none. */
export const lastEventId = (header: string): number | undefined => {
  if (header.trim() === '') return undefined;
  const seq = Number(header.trim());
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw validationError('Last-Event-ID must be the seq of an event', [{ path: 'Last-Event-ID', message: 'must be a whole number' }]);
  }
  return seq;
};

export interface ConversationStreamOptions {
  conversationId: string;
  /** `Last-Event-ID`, else the query's `after`, else 0. */
  after: number;
  /** Registers the stream for its quota (throws the 429); answers the row to remove when it closes. */
  openQuotaRow: (em: EntityManager) => Promise<string>;
  /** Are the stream's credentials still good (asked once it is registered)? */
  isStillAuthorized: (em: EntityManager) => Promise<boolean>;
}

/**
 * Answers with the conversation's event stream (owner's and visitors' routes alike): counted against its quota,
 * registered for revocations, caught up on the text in flight when the conversation runs (asked of whichever process
 * runs it), ended at the maximum age. Call it once every refusal is done: the stream starts here.
 */
export async function streamConversation(ctx: AppContext, deps: RouteDeps, options: ConversationStreamOptions): Promise<void> {
  const { services, config, events, streams, catchUp } = deps;
  const em = ctx.state.em.fork();
  const rowId = await options.openQuotaRow(em);
  streamEvents(ctx, events, {
    conversationId: options.conversationId,
    after: options.after,
    heartbeatSeconds: config.sseHeartbeatSeconds,
    maxAgeSeconds: config.sseMaxAgeSeconds,
    registry: streams,
    isStillAuthorized: () => options.isStillAuthorized(em.fork()),
    catchUp: async (signal) =>
      (await services.conversations.isRunning(em.fork(), options.conversationId)) ? catchUp.request(options.conversationId, signal) : [],
    onClose: () =>
      streams.track(services.quotas.closeStream(em.fork(), rowId).catch((error: unknown) => ctx.state.log.warn({ err: error }, 'open stream row not removed'))),
  });
}

/** The stream's expiry row outlives it by a minute at most (a crashed process's rows expire with it). */
export const streamRowExpiry = (deps: RouteDeps) => new Date(Date.now() + deps.config.sseMaxAgeSeconds * 1000 + 60_000);

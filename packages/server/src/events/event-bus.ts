import type { CatchUpEvent, StreamEvent } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import type { PgListener } from '../db/pg-listener.ts';
import { ConversationFeed, READ_PAGE_SIZE, Subscriber, type EventSource } from './conversation-feed.ts';
import { decodeNotice, EVENTS_CHANNEL } from './notice.ts';

export interface EventBusOptions {
  /** The process's LISTEN connection; the bus registers the events channel on it. */
  listener: PgListener;
  source: EventSource;
  logger: Logger;
}

export interface SubscribeOptions {
  /** Replay stored events with `seq > after` first (0: the whole log). */
  after: number;
  /** Every stored event once, in `seq` order, and the deltas published while subscribed. */
  onEvent: (event: StreamEvent) => void;
  /** The bus closed, or the replay failed (with the error). Not called after `close()`. */
  onEnd: (error?: unknown) => void;
  /**
   * Asked once the replay is done, before anything live is sent: the `catch_up` events of the text in flight (see
   * `Subscriber.sendCatchUp`). `signal` aborts when the run ends meanwhile (nothing is in flight then).
   */
  catchUp?: (signal: AbortSignal) => Promise<CatchUpEvent[]>;
}

export interface Subscription {
  /** Resolves when the replay is done and events flow live. */
  readonly ready: Promise<void>;
  close(): void;
}

/**
 * Live conversation events for this process: one `ConversationFeed` per conversation that has subscribers, fed by the
 * NOTIFYs of the events channel on the process's LISTEN connection. The agent loop writes with `appendEvent` and
 * `publishEphemeral` (events/event-log.ts), which NOTIFY every process.
 */
export class EventBus {
  readonly #options: EventBusOptions;
  readonly #log: Logger;
  readonly #feeds = new Map<string, ConversationFeed>();
  /** `options.source` with every read tracked, so that `close()` can wait for the reads still in flight. */
  readonly #source: EventSource;
  readonly #reads = new Set<Promise<unknown>>();
  #isClosed = false;

  /** Registers the events channel on `options.listener`: build the bus before the listener starts. */
  constructor(options: EventBusOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'event-bus' });
    this.#source = {
      readAfter: (...args) => this.#track(options.source.readAfter(...args)),
      lastSeq: (...args) => this.#track(options.source.lastSeq(...args)),
    };
    options.listener.listen(EVENTS_CHANNEL, (payload) => this.#handleNotification(payload));
    // Notices sent while the connection was down are lost: every feed reads what it missed.
    options.listener.onReconnect(() => {
      for (const feed of this.#feeds.values()) feed.handleNotice();
    });
  }

  /** Conversations with a live feed in this process. */
  get liveFeedCount(): number {
    return this.#feeds.size;
  }

  /** Open subscriptions (SSE streams) of one conversation in this process. */
  subscribersOf(conversationId: string): number {
    return this.#feeds.get(conversationId)?.subscribers.size ?? 0;
  }

  /** Open subscriptions (SSE streams) of every conversation in this process. */
  get subscriberCount(): number {
    let count = 0;
    for (const feed of this.#feeds.values()) count += feed.subscribers.size;
    return count;
  }

  /** Whether the LISTEN connection is up. */
  get isListening(): boolean {
    return this.#options.listener.isListening;
  }

  subscribe(conversationId: string, options: SubscribeOptions): Subscription {
    const subscriber = new Subscriber(options.after, options.onEvent, options.onEnd);
    if (this.#isClosed) {
      subscriber.end();
      return { ready: Promise.resolve(), close: () => {} };
    }
    const feed = this.#feedOf(conversationId);
    feed.subscribers.add(subscriber);
    const close = () => {
      subscriber.isClosed = true;
      feed.subscribers.delete(subscriber);
      if (feed.subscribers.size === 0 && this.#feeds.get(conversationId) === feed) {
        feed.close();
        this.#feeds.delete(conversationId);
      }
    };
    const ready = this.#replay(feed, subscriber, options.catchUp).catch((error: unknown) => {
      this.#log.warn({ err: error, conversation_id: conversationId }, 'event replay failed');
      close();
      subscriber.end(error);
    });
    return { ready, close };
  }

  /**
   * Ends every subscription (their streams close) and takes no new ones, then waits for the database reads still in
   * flight (a feed learning its position, a replay): the database may be closed once this resolves. The LISTEN
   * connection is the listener's.
   */
  async close(): Promise<void> {
    if (!this.#isClosed) {
      this.#isClosed = true;
      for (const feed of this.#feeds.values()) {
        feed.close();
        for (const subscriber of feed.subscribers) subscriber.end();
      }
      this.#feeds.clear();
    }
    while (this.#reads.size > 0) await Promise.allSettled([...this.#reads]);
  }

  #track<T>(read: Promise<T>): Promise<T> {
    this.#reads.add(read);
    const forget = () => this.#reads.delete(read);
    read.then(forget, forget);
    return read;
  }

  #feedOf(conversationId: string): ConversationFeed {
    let feed = this.#feeds.get(conversationId);
    if (!feed) {
      const created = new ConversationFeed(conversationId, this.#source, this.#log);
      // A feed that cannot learn its position is dropped; its subscribers' replays fail with the same error.
      created.ready.catch(() => {
        created.close();
        if (this.#feeds.get(conversationId) === created) this.#feeds.delete(conversationId);
      });
      this.#feeds.set(conversationId, created);
      feed = created;
    }
    return feed;
  }

  /**
   * The subscriber's own past up to (at least) the feed's position, then what is in flight (`catchUp`), then the tail
   * the feed buffered meanwhile.
   */
  async #replay(feed: ConversationFeed, subscriber: Subscriber, catchUp: SubscribeOptions['catchUp']): Promise<void> {
    await feed.ready;
    for (;;) {
      if (subscriber.isClosed) return;
      const events = await this.#source.readAfter(feed.conversationId, subscriber.position, READ_PAGE_SIZE);
      for (const event of events) subscriber.send(event);
      if (events.length < READ_PAGE_SIZE) break;
    }
    if (catchUp && !subscriber.isClosed) {
      const runEnded = new AbortController();
      subscriber.onStoredWhileReplaying = (event) => {
        if (event.type === 'state' && event.state !== 'running') runEnded.abort();
      };
      const events = await catchUp(runEnded.signal).catch((error: unknown) => {
        this.#log.warn({ err: error, conversation_id: feed.conversationId }, 'catch-up failed; streaming without it');
        return [];
      });
      subscriber.sendCatchUp(events);
    }
    subscriber.finishReplay();
  }

  #handleNotification(payload: string | undefined): void {
    const notice = decodeNotice(payload);
    if (!notice) return;
    const feed = this.#feeds.get(notice.conversationId);
    if (!feed) return;
    if (notice.kind === 'event') feed.handleNotice(notice.seq);
    else feed.handleEphemeral(notice.event);
  }
}

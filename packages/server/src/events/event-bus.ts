import type { StreamEvent } from '@metisai/sdk/schemas';
import pg from 'pg';
import type { Logger } from 'pino';
import { ConversationFeed, READ_PAGE_SIZE, Subscriber, type EventSource } from './conversation-feed.ts';
import { decodeNotice, encodeControlNotice, EVENTS_CHANNEL, type ControlNotice } from './notice.ts';

export interface EventBusOptions {
  databaseUrl: string;
  source: EventSource;
  logger: Logger;
  /** First delay before reconnecting a dropped LISTEN connection; doubles up to `maxReconnectDelayMs`. */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

export interface SubscribeOptions {
  /** Replay stored events with `seq > after` first (0: the whole log). */
  after: number;
  /** Every stored event once, in `seq` order, and the deltas published while subscribed. */
  onEvent: (event: StreamEvent) => void;
  /** The bus closed, or the replay failed (with the error). Not called after `close()`. */
  onEnd: (error?: unknown) => void;
}

export interface Subscription {
  /** Resolves when the replay is done and events flow live. */
  readonly ready: Promise<void>;
  close(): void;
}

/**
 * Live conversation events for this process. One LISTEN connection (reconnected when it drops) and one
 * `ConversationFeed` per conversation that has subscribers; the agent loop writes with `appendEvent` and
 * `publishDelta` (services/event-log.ts), which NOTIFY every process.
 */
export class EventBus {
  readonly #options: EventBusOptions;
  readonly #log: Logger;
  readonly #feeds = new Map<string, ConversationFeed>();
  #client: pg.Client | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelayMs: number;
  #isClosed = false;
  readonly #controlListeners = new Set<(control: ControlNotice) => void>();

  constructor(options: EventBusOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'event-bus' });
    this.#reconnectDelayMs = options.minReconnectDelayMs ?? 100;
  }

  /** Conversations with a live feed in this process. */
  get liveFeedCount(): number {
    return this.#feeds.size;
  }

  get subscriberCount(): number {
    let count = 0;
    for (const feed of this.#feeds.values()) count += feed.subscribers.size;
    return count;
  }

  /** Whether the LISTEN connection is up. */
  get isListening(): boolean {
    return this.#client !== undefined;
  }

  /** Control requests (stop a run) sent by any process with `sendControl`, this one included. */
  onControl(listener: (control: ControlNotice) => void): () => void {
    this.#controlListeners.add(listener);
    return () => this.#controlListeners.delete(listener);
  }

  /** Asks every process (through the same channel as events) to act on a run it may be executing. */
  async sendControl(control: ControlNotice): Promise<void> {
    await this.#options.source.notify(encodeControlNotice(control));
  }

  /** Opens the LISTEN connection; throws when the database cannot be reached. */
  async start(): Promise<void> {
    this.#client = await this.#listen();
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
    const ready = this.#replay(feed, subscriber).catch((error: unknown) => {
      this.#log.warn({ err: error, conversation_id: conversationId }, 'event replay failed');
      close();
      subscriber.end(error);
    });
    return { ready, close };
  }

  /** Ends every subscription (their streams close) and the LISTEN connection. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearTimeout(this.#reconnectTimer);
    for (const feed of this.#feeds.values()) {
      feed.close();
      for (const subscriber of feed.subscribers) subscriber.end();
    }
    this.#feeds.clear();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  #feedOf(conversationId: string): ConversationFeed {
    let feed = this.#feeds.get(conversationId);
    if (!feed) {
      const created = new ConversationFeed(conversationId, this.#options.source, this.#log);
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

  /** The subscriber's own past up to (at least) the feed's position, then the tail the feed buffered meanwhile. */
  async #replay(feed: ConversationFeed, subscriber: Subscriber): Promise<void> {
    await feed.ready;
    for (;;) {
      if (subscriber.isClosed) return;
      const events = await this.#options.source.readAfter(feed.conversationId, subscriber.position, READ_PAGE_SIZE);
      for (const event of events) subscriber.send(event);
      if (events.length < READ_PAGE_SIZE) break;
    }
    subscriber.finishReplay();
  }

  async #listen(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#options.databaseUrl, keepAlive: true, application_name: 'metisai-events' });
    client.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL) this.#handleNotification(message.payload);
    });
    client.on('error', (error) => this.#handleDrop(client, error));
    client.on('end', () => this.#handleDrop(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    return client;
  }

  #handleNotification(payload: string | undefined): void {
    const notice = decodeNotice(payload);
    if (!notice) return;
    if (notice.kind === 'control') {
      for (const listener of this.#controlListeners) listener(notice.control);
      return;
    }
    const feed = this.#feeds.get(notice.conversationId);
    if (!feed) return;
    if (notice.kind === 'event') feed.handleNotice(notice.seq);
    else feed.handleEphemeral(notice.event);
  }

  #handleDrop(client: pg.Client, error?: Error): void {
    if (client !== this.#client || this.#isClosed) return;
    this.#client = undefined;
    this.#log.warn({ err: error }, 'LISTEN connection lost; reconnecting');
    client.end().catch(() => {});
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delay = this.#reconnectDelayMs;
    this.#reconnectTimer = setTimeout(async () => {
      try {
        const client = await this.#listen();
        if (this.#isClosed) {
          await client.end().catch(() => {});
          return;
        }
        this.#client = client;
        this.#reconnectDelayMs = this.#options.minReconnectDelayMs ?? 100;
        this.#log.info({ feeds: this.#feeds.size }, 'LISTEN connection restored');
        // Notices sent while we were away are lost: every feed reads what it missed.
        for (const feed of this.#feeds.values()) feed.handleNotice();
      } catch (error) {
        this.#log.warn({ err: error, retry_ms: delay }, 'LISTEN reconnect failed');
        this.#reconnectDelayMs = Math.min(delay * 2, this.#options.maxReconnectDelayMs ?? 5000);
        if (!this.#isClosed) this.#scheduleReconnect();
      }
    }, delay);
  }
}

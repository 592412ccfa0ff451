import type { EphemeralEvent, Event, StreamEvent } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';

/** Where a feed reads committed events from (Postgres, through the ORM). */
export interface EventSource {
  /** Stored events with `seq > after`, in order, at most `limit`. */
  readAfter(conversationId: string, after: number, limit: number): Promise<Event[]>;
  /** The highest committed `seq` of the conversation (0 when it has none or does not exist). */
  lastSeq(conversationId: string): Promise<number>;
}

export const READ_PAGE_SIZE = 500;
const RETRY_READ_MS = 500;

/**
 * One client of a feed. It replays its own past from Postgres while the feed buffers the live tail for it,
 * then drains the buffer skipping what the replay already sent: no gap, no duplicate at the seam.
 */
export class Subscriber {
  readonly #onEvent: (event: StreamEvent) => void;
  readonly #onEnd: (error?: unknown) => void;
  /** The last `seq` sent to this client. */
  position: number;
  isReplaying = true;
  isClosed = false;
  #buffer: StreamEvent[] = [];

  constructor(after: number, onEvent: (event: StreamEvent) => void, onEnd: (error?: unknown) => void) {
    this.position = after;
    this.#onEvent = onEvent;
    this.#onEnd = onEnd;
  }

  /** From the feed: held back while replaying. */
  push(event: StreamEvent): void {
    if (this.isClosed) return;
    if (this.isReplaying) this.#buffer.push(event);
    else this.send(event);
  }

  /** Sends a stored event once and in order (anything at or before `position` was sent already); deltas always. */
  send(event: StreamEvent): void {
    if (this.isClosed) return;
    if ('seq' in event) {
      if (event.seq <= this.position) return;
      this.position = event.seq;
    }
    this.#onEvent(event);
  }

  finishReplay(): void {
    const buffered = this.#buffer;
    this.#buffer = [];
    this.isReplaying = false;
    for (const event of buffered) this.send(event);
  }

  end(error?: unknown): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.#buffer = [];
    this.#onEnd(error);
  }
}

/**
 * The live tail of one conversation in this process: one row reader, fanned out in memory to its subscribers.
 * A NOTIFY only says "there is something after `lastSeq`"; the feed then reads `seq > lastSeq` in order, so a
 * notice that overtakes an earlier commit cannot make it skip, and a lost notice is caught up by the next read.
 */
export class ConversationFeed {
  readonly conversationId: string;
  readonly subscribers = new Set<Subscriber>();
  /** The last `seq` fanned out. */
  lastSeq = 0;
  /** Resolves once `lastSeq` is known; subscribers replay only after that, so replay and tail meet. */
  readonly ready: Promise<void>;
  isClosed = false;
  readonly #source: EventSource;
  readonly #log: Logger;
  #isReady = false;
  #isReading = false;
  #readAgain = false;
  /** Deltas that arrived while a read was catching up: sent after the events announced before them. */
  #heldDeltas: EphemeralEvent[] = [];
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(conversationId: string, source: EventSource, log: Logger) {
    this.conversationId = conversationId;
    this.#source = source;
    this.#log = log;
    this.ready = source.lastSeq(conversationId).then((seq) => {
      this.lastSeq = seq;
      this.#isReady = true;
      // Notices that came while we asked: read now (a read finding nothing costs one query).
      if (this.#readAgain) this.handleNotice();
    });
  }

  /** A stored event was committed (`seq` unknown after a LISTEN reconnect: read whatever is new). */
  handleNotice(seq?: number): void {
    if (this.isClosed) return;
    if (!this.#isReady || this.#isReading) {
      this.#readAgain = true;
      return;
    }
    if (seq !== undefined && seq <= this.lastSeq) return;
    void this.#read();
  }

  handleEphemeral(delta: EphemeralEvent): void {
    if (this.isClosed) return;
    if (this.#isReading) this.#heldDeltas.push(delta);
    else this.#fanOut(delta);
  }

  close(): void {
    this.isClosed = true;
    clearTimeout(this.#retryTimer);
  }

  async #read(): Promise<void> {
    this.#isReading = true;
    try {
      do {
        this.#readAgain = false;
        for (;;) {
          const events = await this.#source.readAfter(this.conversationId, this.lastSeq, READ_PAGE_SIZE);
          if (this.isClosed) return;
          for (const event of events) {
            this.lastSeq = event.seq;
            this.#fanOut(event);
          }
          if (events.length < READ_PAGE_SIZE) break;
        }
      } while (this.#readAgain);
    } catch (error) {
      this.#log.warn({ err: error, conversation_id: this.conversationId }, 'event feed read failed; retrying');
      this.#retryTimer = setTimeout(() => this.handleNotice(), RETRY_READ_MS);
    } finally {
      this.#isReading = false;
      const held = this.#heldDeltas;
      this.#heldDeltas = [];
      for (const delta of held) this.#fanOut(delta);
    }
  }

  #fanOut(event: StreamEvent): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber.push(event);
      } catch (error) {
        this.#log.warn({ err: error }, 'event subscriber failed');
        subscriber.end(error);
      }
    }
  }
}

import type { CatchUpEvent, EphemeralEvent, Event, StreamEvent } from '@metisai/sdk/schemas';
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

/** Which piece of in-flight text an ephemeral event continues: `d:`/`r:` a message's text/reasoning, `o:` an output. */
const pieceKey = (event: EphemeralEvent) => (event.type === 'output' ? `o:${event.tool_call_id}` : `${event.type === 'delta' ? 'd' : 'r'}:${event.message_id}`);

/** What a stored event completes, when it is a message or an observation (a catch-up of it is then late). */
const landedKey = (event: Event): string | undefined =>
  event.type === 'message' ? `m:${event.id}` : event.type === 'observation' ? `o:${event.tool_call_id}` : undefined;

/**
 * One client of a feed. It replays its own past from Postgres while the feed buffers the live tail for it,
 * then drains the buffer skipping what the replay already sent: no gap, no duplicate at the seam. When it is caught up
 * on text in flight (`catchUp`), the live pieces it already has in full are dropped and those it has in part trimmed,
 * by their `offset`.
 */
export class Subscriber {
  readonly #onEvent: (event: StreamEvent) => void;
  readonly #onEnd: (error?: unknown) => void;
  /** The last `seq` sent to this client. */
  position: number;
  isReplaying = true;
  isClosed = false;
  /** Called with each stored event that arrives while the catch-up is awaited. */
  onStoredWhileReplaying: ((event: Event) => void) | undefined;
  #buffer: StreamEvent[] = [];
  /** Messages and observations stored and sent (or buffered) before the catch-up: theirs would come too late. */
  readonly #landed = new Set<string>();
  /** In-flight text the catch-up covered, by piece key: how far (end offset). */
  readonly #covered = new Map<string, number>();

  constructor(after: number, onEvent: (event: StreamEvent) => void, onEnd: (error?: unknown) => void) {
    this.position = after;
    this.#onEvent = onEvent;
    this.#onEnd = onEnd;
  }

  /** From the feed: held back while replaying. */
  push(event: StreamEvent): void {
    if (this.isClosed) return;
    if (this.isReplaying) {
      this.#buffer.push(event);
      if ('seq' in event) this.#noteLanded(event);
    } else this.send(event);
  }

  /** Sends a stored event once and in order (anything at or before `position` was sent already); deltas always. */
  send(event: StreamEvent): void {
    if (this.isClosed) return;
    if ('seq' in event) {
      if (event.seq <= this.position) return;
      this.position = event.seq;
      if (this.isReplaying) this.#noteLanded(event);
    } else if (this.#covered.size > 0 && (event.type === 'delta' || event.type === 'reasoning_delta' || event.type === 'output')) {
      const trimmed = this.#uncovered(event);
      if (!trimmed) return;
      event = trimmed;
    }
    this.#onEvent(event);
  }

  /**
   * Sends the `catch_up` events of what was in flight (call while replaying, before `finishReplay`), but none of a
   * message or observation already stored; what they cover is dropped from the live pieces that follow.
   */
  sendCatchUp(events: readonly CatchUpEvent[]): void {
    if (this.isClosed) return;
    for (const event of events) {
      if (event.message_id !== undefined) {
        if (this.#landed.has(`m:${event.message_id}`)) continue;
        this.#covered.set(`d:${event.message_id}`, event.content.length);
        this.#covered.set(`r:${event.message_id}`, event.reasoning_content?.length ?? 0);
      } else if (event.tool_call_id !== undefined) {
        if (this.#landed.has(`o:${event.tool_call_id}`)) continue;
        this.#covered.set(`o:${event.tool_call_id}`, (event.offset ?? 0) + event.content.length);
      }
      this.#onEvent(event);
    }
  }

  #noteLanded(event: Event): void {
    const key = landedKey(event);
    if (key) this.#landed.add(key);
    this.onStoredWhileReplaying?.(event);
  }

  /** The part of a live piece the catch-up did not cover (trimmed by its offset), or undefined when it covered it all. */
  #uncovered(event: EphemeralEvent): EphemeralEvent | undefined {
    const covered = this.#covered.get(pieceKey(event));
    if (covered === undefined || event.offset === undefined) return event;
    const end = event.offset + event.content.length;
    if (end <= covered) return undefined;
    if (event.offset >= covered) return event;
    return { ...event, content: event.content.slice(covered - event.offset), offset: covered };
  }

  finishReplay(): void {
    const buffered = this.#buffer;
    this.#buffer = [];
    this.isReplaying = false;
    this.onStoredWhileReplaying = undefined;
    this.#landed.clear();
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

import type { StateEvent, StreamEvent, DeltaEvent } from '../schemas/event.ts';
import type { AttachmentParams } from '../schemas/workspace.ts';
import { AbortError } from './errors.ts';
import type { ConversationStreamEvent, EventStreamOptions } from './event-stream.ts';

/**
 * Options of `conversations.run()`. The reconnect options are the run's event stream's (see `EventStreamOptions`):
 * `onReconnect` is called before each reconnect after a lost connection, with the attempt number, the
 * `Last-Event-ID` the stream resumes from and the error that ended the connection (a UI can show "reconnecting…").
 */
export interface RunOptions extends Pick<EventStreamOptions, 'onReconnect' | 'maxReconnects' | 'reconnectBackoff' | 'idleTimeoutMs'> {
  /** Called with each piece of an assistant message as it streams. */
  onDelta?: ((delta: DeltaEvent) => void) | undefined;
  /** Called with every event the run yields (deltas included), before it is yielded. */
  onEvent?: ((event: ConversationStreamEvent) => void) | undefined;
  /** Aborts the run's stream (not the run on the server: use `conversations.stop()` for that). */
  signal?: AbortSignal | undefined;
  /** `Idempotency-Key` of the message POST. */
  idempotencyKey?: string | undefined;
  /** Workspace files the message names (upload them first): `attachments` of the message POST. */
  attachments?: AttachmentParams[] | undefined;
}

/** A run ends when the conversation leaves `running`: `finished`, `idle`, `awaiting_confirmation`, `stopped` or `error`. */
export const isRunEnd = (event: ConversationStreamEvent): event is StateEvent =>
  event.type === 'state' && (event as StreamEvent & { type: 'state' }).state !== 'running';

/**
 * The events of one run, as an async iterable whose last item is the `state` event that ended it.
 * `await run.finalState()` consumes it (calling `onDelta`/`onEvent`) and answers that `state` event.
 */
export class RunStream implements AsyncIterable<ConversationStreamEvent> {
  readonly #source: () => AsyncGenerator<ConversationStreamEvent, void, undefined>;
  readonly #abort: () => void;
  #isIterating = false;

  /** @internal */
  constructor(source: () => AsyncGenerator<ConversationStreamEvent, void, undefined>, abort: () => void) {
    this.#source = source;
    this.#abort = abort;
  }

  /** Stops following the run (the run itself goes on on the server). */
  abort(): void {
    this.#abort();
  }

  [Symbol.asyncIterator](): AsyncGenerator<ConversationStreamEvent, void, undefined> {
    if (this.#isIterating) throw new TypeError('A RunStream can be iterated only once');
    this.#isIterating = true;
    return this.#source();
  }

  /** Consumes the run and answers the `state` event that ended it. */
  async finalState(): Promise<StateEvent> {
    let last: ConversationStreamEvent | undefined;
    for await (const event of this) last = event;
    if (last && isRunEnd(last)) return last;
    throw new AbortError('The run stream ended before the run did');
  }
}

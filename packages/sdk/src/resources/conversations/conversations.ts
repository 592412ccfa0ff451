import { EventStream, type ConversationStreamEvent, type EventStreamOptions } from '../../core/event-stream.ts';
import { PagePromise } from '../../core/pagination.ts';
import type { RequestOptions } from '../../core/request-options.ts';
import { RunStream, isRunEnd, type RunOptions } from '../../core/run-stream.ts';
import { path } from '../../internal/path.ts';
import { pageOf } from '../../schemas/common.ts';
import {
  ConversationSchema,
  type Conversation,
  type ConversationCreateParams,
  type ConversationForkParams,
  type ConversationListParams,
  type ConversationUpdateParams,
} from '../../schemas/conversation.ts';
import type { ApiClient } from '../../core/api-client.ts';
import { AbortError } from '../../core/errors.ts';
import { APIResource } from '../resource.ts';
import { Events } from './events.ts';
import { Messages } from './messages.ts';
import { ChangesSchema, type Changes } from '../../schemas/workspace.ts';
import {
  ConversationExportSchema,
  type ConversationExport,
  type ConversationImportParams,
  type ConversationImportQuery,
} from '../../schemas/conversation-export.ts';

const ConversationPageSchema = pageOf(ConversationSchema);

/** Options of `conversations.stream()`. */
export interface StreamOptions extends EventStreamOptions {
  /** Headers for the stream requests. */
  headers?: Record<string, string> | undefined;
  /** Timeout for each connection's response headers; default the client's `timeoutMs`. */
  timeoutMs?: number | undefined;
}

/** `/api/v1/conversations`: conversations, their messages and events, live streams and runs. */
export class Conversations extends APIResource {
  /** `…/{id}/messages`. */
  readonly messages: Messages;
  /** `…/{id}/events` as JSON pages. */
  readonly events: Events;

  /** `/conversations`, or `/embed/conversations` for a visitor's (see `VisitorConversations`). */
  readonly #prefix: string;

  /** @internal */
  constructor(client: ApiClient, prefix = '/conversations') {
    super(client);
    this.#prefix = prefix;
    this.messages = new Messages(client, prefix);
    this.events = new Events(client, prefix);
  }

  /**
   * Files added, modified and deleted since the conversation's baseline, each with its unified diff
   * (`GET …/changes`); `.git/` and ignored files are left out.
   */
  changes(conversationId: string, options?: RequestOptions): Promise<Changes> {
    return this.client.get(this.#prefix + path`/${conversationId}/changes`, ChangesSchema, options);
  }

  /** The conversation and every stored event as a `metisai.conversation/1` document (`GET …/export`). */
  export(conversationId: string, options?: RequestOptions): Promise<ConversationExport> {
    return this.client.get(path`/conversations/${conversationId}/export`, ConversationExportSchema, options);
  }

  /**
   * A new conversation of yours from an export document (`POST /conversations/import`): its agent is kept when it is
   * yours, else none unless `agent_id` names one of yours.
   */
  import(document: ConversationImportParams | ConversationExport, query: ConversationImportQuery = {}, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ ...options, method: 'post', path: '/conversations/import', query, body: document, schema: ConversationSchema });
  }

  /** Your conversations, newest first (`GET /conversations`); `agent_id` filters by agent, `visitor_id` by one of its visitors. */
  list(params: Omit<ConversationListParams, 'after'> & { after?: string } = {}, options?: RequestOptions): PagePromise<Conversation> {
    return new PagePromise(
      (after) =>
        this.client.get(this.#prefix, ConversationPageSchema, {
          ...options,
          query: {
            limit: params.limit,
            agent_id: params.agent_id,
            visitor_id: params.visitor_id,
            visitors: params.visitors,
            state: params.state,
            q: params.q,
            after,
          },
        }),
      params.after,
    );
  }

  /** One conversation with its `state` and token `usage` (`GET /conversations/{id}`). */
  get(conversationId: string, options?: RequestOptions): Promise<Conversation> {
    return this.client.get(this.#prefix + path`/${conversationId}`, ConversationSchema, options);
  }

  /**
   * Starts a conversation (`POST /conversations`), with one of your agents (`agent_id`) or with your settings. With
   * `repository`, the server clones it into the workspace first: the conversation answers `running`
   * (`waiting_for_workspace`), `workspace` events show the clone's progress, and a message sent meanwhile waits for it.
   *
   * ```ts
   * const conversation = await client.conversations.create({ agent_id, repository: { url: 'https://github.com/acme/app.git', token_secret: 'GITHUB_TOKEN' } });
   * ```
   */
  create(params: ConversationCreateParams = {}, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ ...options, method: 'post', path: this.#prefix, body: params, schema: ConversationSchema });
  }

  /**
   * A new conversation forked from this one at a step (`POST /conversations/{id}/fork`): same agent, copies of the
   * events up to `at_seq` (new ids, same `seq`s) and the workspace's files exactly as they were then; it starts `idle`
   * and names its origin in `forked_from`. Default `at_seq`: the last completed step; a `seq` inside a step snaps back
   * to the last completed one. Beyond `last_seq` is a `BadRequestError` (`validation_error` naming `at_seq`); a step
   * whose snapshot was pruned is a `ConflictError` (`snapshot_unavailable`). The original is untouched, also while it runs.
   */
  fork(conversationId: string, params: ConversationForkParams = {}, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ ...options, method: 'post', path: path`/conversations/${conversationId}/fork`, body: params, schema: ConversationSchema });
  }

  /**
   * Deletes the workspace snapshots that no step at or after `before_seq` needs (`DELETE …/snapshots?before_seq=`),
   * freeing their share of your workspace quota; forks before `before_seq` are refused afterwards (`snapshot_unavailable`).
   */
  pruneSnapshots(conversationId: string, params: { before_seq: number }, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'delete', path: path`/conversations/${conversationId}/snapshots`, query: params });
  }

  /** Renames a conversation (`PUT /conversations/{id}`). */
  update(conversationId: string, params: ConversationUpdateParams, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ ...options, method: 'put', path: this.#prefix + path`/${conversationId}`, body: params, schema: ConversationSchema });
  }

  /** Deletes a conversation with its events (`DELETE /conversations/{id}`). */
  delete(conversationId: string, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'delete', path: this.#prefix + path`/${conversationId}` });
  }

  /**
   * Stops the running agent (`POST /conversations/{id}/stop`): the LLM request is aborted and the running command
   * interrupted; the run ends with `state` `stopped`. Nothing running is a `ConflictError` (`conversation_not_running`).
   */
  stop(conversationId: string, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ ...options, method: 'post', path: this.#prefix + path`/${conversationId}/stop`, schema: ConversationSchema });
  }

  /**
   * Approves or rejects the action a conversation in `awaiting_confirmation` waits on (`POST …/confirm`); the run
   * resumes. Nothing waiting is a `ConflictError` (`not_awaiting_confirmation`).
   */
  confirm(conversationId: string, params: { approve: boolean }, options?: RequestOptions): Promise<Conversation> {
    return this.client.request({ ...options, method: 'post', path: this.#prefix + path`/${conversationId}/confirm`, body: params, schema: ConversationSchema });
  }

  /**
   * The conversation's live events (`GET …/events` as server-sent events): the stored log after `after` (all of it
   * when absent), then live events, including ephemeral `delta` and `output`. It reconnects after a network loss
   * with `Last-Event-ID`, so every stored event arrives exactly once.
   *
   * ```ts
   * const stream = client.conversations.stream(id, { after: 41 });
   * for await (const event of stream) {
   *   if (event.type === 'delta') process.stdout.write(event.content);
   *   if (event.type === 'state' && event.state !== 'running') break; // closes the connection
   * }
   * ```
   */
  stream(conversationId: string, options: StreamOptions = {}): EventStream {
    const { headers, timeoutMs, ...streamOptions } = options;
    return new EventStream(
      (lastEventId, signal) =>
        this.client.fetchResponse({
          method: 'get',
          path: this.#prefix + path`/${conversationId}/events`,
          headers: { Accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'Last-Event-ID': String(lastEventId) }), ...headers },
          signal,
          timeoutMs,
          // The stream reconnects on its own, with its own backoff.
          maxRetries: 0,
        }),
      // A token provider renews an expired token: the stream reopens on the new one.
      { renewsCredentials: this.client.hasTokenProvider, ...streamOptions },
    );
  }

  /**
   * Sends a message and follows the run it starts: yields the run's events (the message itself, deltas, actions,
   * observations…) until the conversation leaves `running`; the last event yielded is that `state` event
   * (`finished`, `idle`, `awaiting_confirmation`, `stopped` or `error`). The stream is opened before the message is
   * posted, so nothing is missed.
   *
   * ```ts
   * const run = client.conversations.run(id, 'List the files', { onDelta: (d) => process.stdout.write(d.content) });
   * const end = await run.finalState(); // or: for await (const event of run) …
   * ```
   */
  run(conversationId: string, content: string, options: RunOptions = {}): RunStream {
    const { onDelta, onEvent, signal, idempotencyKey, attachments, onReconnect, maxReconnects, reconnectBackoff, idleTimeoutMs } = options;
    // `abort()` of the RunStream ends it quietly; the caller's `signal` ends it with an AbortError.
    const closer = new AbortController();
    const combined = signal ? AbortSignal.any([signal, closer.signal]) : closer.signal;
    let stream: EventStream | undefined;
    const source = async function* (this: Conversations): AsyncGenerator<ConversationStreamEvent, void, undefined> {
      try {
        const after = await this.events.lastSeq(conversationId, { signal: combined });
        stream = this.stream(conversationId, { after, signal, onReconnect, maxReconnects, reconnectBackoff, idleTimeoutMs });
        if (closer.signal.aborted) return;
        const iterator = stream[Symbol.asyncIterator]();
        // Start reading (this opens the connection), and post only once the stream is open.
        let pending = iterator.next();
        pending.catch(() => {});
        let postedSeq: number;
        try {
          await stream.connected;
          postedSeq = (await this.messages.create(conversationId, attachments ? { content, attachments } : { content }, { signal: combined, idempotencyKey }))
            .seq;
        } catch (error) {
          stream.abort();
          await pending.catch(() => {});
          throw error;
        }
        try {
          for (;;) {
            const result = await pending;
            if (result.done) return;
            const event = result.value;
            if (event.type === 'delta') onDelta?.(event);
            onEvent?.(event);
            yield event;
            if (isRunEnd(event) && (event.seq ?? 0) > postedSeq) return;
            pending = iterator.next();
          }
        } finally {
          stream.abort();
          await iterator.return(undefined).catch(() => {});
        }
      } catch (error) {
        if (closer.signal.aborted && !signal?.aborted) return;
        if (signal?.aborted && !(error instanceof AbortError)) throw new AbortError('Run aborted', signal.reason);
        throw error;
      }
    }.bind(this);
    return new RunStream(source, () => {
      closer.abort();
      stream?.abort();
    });
  }
}

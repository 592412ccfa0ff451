import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod/mini';
import {
  type ActionEvent,
  type AgentStatus,
  type Approval,
  type Conversation as ConversationJson,
  type ConversationCreateParamsSchema,
  type ConversationListParams,
  ErrorCode,
  type Event as EventJson,
  type EventListParams,
  type Page,
  type Repository,
  type RepositoryParams,
  type WorkspaceFile,
} from '@metisai/sdk/schemas';
import { DEFAULT_PAGE_SIZE, listNewestFirst } from '../db/paginate.ts';
import { ConversationEntity, type Conversation, EventEntity, SecretEntity, type StoredRepository } from '../entities/index.ts';
import { InvalidRequestError, NotFoundError } from '../errors.ts';
import { listEvents, toEventJson } from '../events/event-log.ts';
import type { EgressGuard } from '../security/egress-guard.ts';
import { allowsPlainHttp } from '../security/egress-policy.ts';
import { uuid7 } from '../security/uuid7.ts';
import { agentRefusal, type AgentService } from './agents.ts';

/**
 * What the conversation service needs from whatever runs agents (`ConversationRunner` in runs/). Each method throws
 * domain errors (`ConflictError` with `conversation_busy`, `not_awaiting_confirmation`, `conversation_not_running`).
 */
export interface ConversationRuns {
  /**
   * Stores the user's message (with the workspace files it names) and `state: running`, and starts the run that
   * answers it; answers the message event.
   */
  postMessage(em: EntityManager, conversation: Conversation, content: string, attachments?: WorkspaceFile[]): Promise<EventJson>;
  /**
   * Starts cloning a new conversation's repository into its workspace (`state: running`, `waiting_for_workspace`);
   * throws `RateLimitedError` `quota_exceeded` when the user runs the most conversations allowed.
   */
  setUpRepository(em: EntityManager, conversation: Conversation): Promise<void>;
  /** Answers the pending action of a conversation in `awaiting_confirmation` and resumes the run. */
  confirm(em: EntityManager, conversation: Conversation, approve: boolean): Promise<void>;
  /** Stops the conversation's run, in whichever process runs it. */
  stop(em: EntityManager, conversation: Conversation): Promise<void>;
  /** The conversation was deleted: its run stops and its sandbox goes. */
  forget(conversation: Conversation): Promise<void>;
  /** An agent's start or stop is over (its status stored): runs waiting for it, in every process, go on or end. */
  agentSettled(agentId: string): Promise<void>;
}

/** What deleting a conversation needs from the snapshot store: its blobs that nothing else uses are freed. */
export interface SnapshotGarbage {
  collectGarbage(em: EntityManager, userId: string): Promise<void>;
}
/** The repository as events and responses show it (no token, no secret name). */
export const repositoryJson = (repository: StoredRepository): Repository => ({
  url: repository.url,
  ref: repository.ref,
  depth: repository.depth,
  commit: repository.commit,
  status: repository.status,
});
/** `%`, `_` and `\\` taken literally in an `ilike` pattern. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

export const toConversationJson = (conversation: Conversation): ConversationJson => ({
  id: conversation.id,
  agent_id: conversation.agentId ?? null,
  visitor_id: conversation.visitorId ?? null,
  title: conversation.title ?? null,
  state: conversation.state,
  last_seq: conversation.lastSeq,
  usage: {
    prompt_tokens: conversation.promptTokens,
    completion_tokens: conversation.completionTokens,
    total_tokens: conversation.promptTokens + conversation.completionTokens,
    llm_calls: conversation.llmCalls,
  },
  forked_from: conversation.forkedFromId ? { conversation_id: conversation.forkedFromId, seq: conversation.forkedFromSeq ?? 0 } : null,
  // Only a conversation started from a repository has the field: others answer as before.
  ...(conversation.repository ? { repository: repositoryJson(conversation.repository) } : {}),
  created_at: conversation.createdAt.toISOString(),
  updated_at: conversation.updatedAt.toISOString(),
});

/**
 * Whose conversations a call reaches: a user's (all of theirs, their agents' visitors' included), or one visitor's of
 * one agent (stored under the agent's owner).
 */
export type ConversationOwner = string | { userId: string; visitorId: string; agentId: string };

const ownedBy = (owner: ConversationOwner) =>
  typeof owner === 'string' ? { userId: owner } : { userId: owner.userId, visitorId: owner.visitorId, agentId: owner.agentId };

const userOf = (owner: ConversationOwner) => (typeof owner === 'string' ? owner : owner.userId);

/**
 * The caller's conversations and their logs. Runs go through `runs`; an app built without a runner (`runs: null`, the
 * route-test seam) serves everything else and refuses what needs a run. Every method takes the `ConversationOwner`:
 * another owner's conversation is a 404, like a missing one.
 */
export class ConversationService {
  readonly #agents: AgentService;
  readonly #runs: ConversationRuns | null;
  readonly #egress: EgressGuard;
  readonly #snapshots: SnapshotGarbage | null;

  /**
   * `egress`: the guard clones go through, whose policy decides which repository URLs are taken; `snapshots`: the
   * snapshot store whose unused blobs a deletion frees (none in route tests).
   */
  constructor(agents: AgentService, runs: ConversationRuns | null, egress: EgressGuard, snapshots: SnapshotGarbage | null = null) {
    this.#agents = agents;
    this.#runs = runs;
    this.#snapshots = snapshots;
    this.#egress = egress;
  }

  /**
   * A page of the owner's conversations, filtered by `agent_id`, `visitor_id`, `visitors` (`only`: visitors' conversations, `none`: the owner's own), `state` and `q` (every word of it in the
   * title, case-insensitive); `agentIds` (an API key's restriction) keeps only those of these agents.
   */
  async list(
    em: EntityManager,
    owner: ConversationOwner,
    params: ConversationListParams,
    agentIds: readonly string[] | null = null,
  ): Promise<Page<ConversationJson>> {
    const agentFilter = params.agent_id
      ? { agentId: agentIds && !agentIds.includes(params.agent_id) ? { $in: [] } : params.agent_id }
      : agentIds
        ? { agentId: { $in: [...agentIds] } }
        : {};
    const words = (params.q ?? '').split(/\s+/).filter(Boolean);
    const where: FilterQuery<Conversation> = {
      ...ownedBy(owner),
      ...agentFilter,
      ...(params.visitor_id ? { visitorId: params.visitor_id } : params.visitors ? { visitorId: params.visitors === 'only' ? { $ne: null } : null } : {}),
      ...(params.state ? { state: params.state } : {}),
      ...(words.length > 0 ? { $and: words.map((word) => ({ title: { $ilike: `%${escapeLike(word)}%` } })) } : {}),
    };
    return listNewestFirst(em, ConversationEntity, where, params, toConversationJson);
  }

  /**
   * The actions waiting for the user's approval: for each of their conversations in `awaiting_confirmation` (newest
   * first), the first action without an observation. Tool call ids are the server's own, unique in a conversation, so
   * one anti-join over the log finds them. `agentIds` (an API key's restriction) keeps those of these agents.
   */
  async listApprovals(
    em: EntityManager,
    userId: string,
    params: { limit?: number; after?: string },
    agentIds: readonly string[] | null = null,
  ): Promise<Page<Approval>> {
    const limit = params.limit ?? DEFAULT_PAGE_SIZE;
    const waiting = await em.find(
      ConversationEntity,
      {
        userId,
        state: 'awaiting_confirmation',
        ...(agentIds ? { agentId: { $in: [...agentIds] } } : {}),
        ...(params.after ? { id: { $lt: params.after } } : {}),
      },
      { orderBy: { id: 'desc' }, limit: limit + 1 },
    );
    const hasMore = waiting.length > limit;
    const kept = waiting.slice(0, limit);
    const rows =
      kept.length === 0
        ? []
        : await em.execute<{ id: string }[]>(
            `select distinct on (a.conversation_id) a.id
               from events a
              where a.conversation_id = any(?::uuid[]) and a.type = 'action'
                and not exists (select 1 from events o
                                 where o.conversation_id = a.conversation_id and o.type = 'observation'
                                   and o.payload->>'tool_call_id' = a.payload->>'tool_call_id')
              order by a.conversation_id, a.seq`,
            [`{${kept.map((conversation) => conversation.id).join(',')}}`],
          );
    const actions = rows.length === 0 ? [] : await em.find(EventEntity, { id: { $in: rows.map((row) => row.id) } });
    const actionOf = new Map(actions.map((action) => [action.conversationId, toEventJson(action) as ActionEvent]));
    return {
      // A conversation whose action was answered a moment ago (its state not yet moved on) is left out.
      data: kept
        .filter((conversation) => actionOf.has(conversation.id))
        .map((conversation) => ({ conversation: toConversationJson(conversation), action: actionOf.get(conversation.id)! })),
      has_more: hasMore,
      next_after: hasMore ? kept.at(-1)!.id : null,
    };
  }

  async getOwned(em: EntityManager, owner: ConversationOwner, id: string): Promise<Conversation> {
    const conversation = await em.findOne(ConversationEntity, { id, ...ownedBy(owner) });
    if (!conversation) throw new NotFoundError('conversation');
    return conversation;
  }

  /**
   * A new conversation: with the user's agent named in the body (or their settings), or a visitor's with its agent. With
   * `repository` (users only), its clone starts at once (the conversation answers `running`, `waiting_for_workspace`). 400
   * for a repository URL the server does not connect to (`egress_refused`, or plain `http:` to a public host) or a
   * `token_secret` naming no secret of the user's, both naming the field; 429 when the clone would exceed the user's
   * running conversations (nothing is created then).
   */
  async create(em: EntityManager, owner: ConversationOwner, params: z.output<typeof ConversationCreateParamsSchema>): Promise<ConversationJson> {
    const userId = userOf(owner);
    const visitor = typeof owner === 'string' ? null : owner;
    // An agent named in the body must be the caller's own: another user's is a 404 like a missing one.
    if (!visitor && params.agent_id) await this.#agents.getOwned(em, userId, params.agent_id);
    if (visitor && params.repository) {
      throw new InvalidRequestError(ErrorCode.validation, 'repository: visitors cannot clone repositories', {
        details: [{ path: 'repository', message: 'is not available to visitors' }],
      });
    }
    const repository = params.repository ? await this.#repository(em, userId, params.repository) : null;
    const conversation = em.create(ConversationEntity, {
      id: uuid7(),
      userId,
      agentId: visitor ? visitor.agentId : (params.agent_id ?? null),
      visitorId: visitor?.visitorId ?? null,
      title: params.title ? params.title : null,
      state: 'idle',
      lastSeq: 0,
      promptTokens: 0,
      completionTokens: 0,
      llmCalls: 0,
      repository,
    });
    await em.flush();
    if (!repository) return toConversationJson(conversation);
    try {
      await this.#runner().setUpRepository(em, conversation);
    } catch (error) {
      await em.fork().nativeDelete(ConversationEntity, { id: conversation.id });
      throw error;
    }
    return toConversationJson(await this.getOwned(em.fork(), userId, conversation.id));
  }

  /** What is stored of a repository to clone, once checked (see `create`). */
  async #repository(em: EntityManager, userId: string, params: RepositoryParams): Promise<StoredRepository> {
    const field = (path: string, message: string) => ({ details: [{ path, message }] });
    const url = new URL(params.url);
    const refusal = this.#egress.literalRefusal(params.url);
    if (refusal) throw new InvalidRequestError(ErrorCode.egressRefused, `repository.url: ${refusal.message}`, field('repository.url', refusal.message));
    if (url.protocol === 'http:' && !allowsPlainHttp(this.#egress.policy, url)) {
      const message =
        'must be an https:// URL (http:// only reaches hosts this server allows: EGRESS_ALLOWED_HOSTS, or private addresses with ALLOW_PRIVATE_EGRESS)';
      throw new InvalidRequestError(ErrorCode.validation, `repository.url ${message}`, field('repository.url', message));
    }
    if (params.token_secret && (await em.count(SecretEntity, { userId, name: params.token_secret })) === 0) {
      const message = `names no secret of yours (create a secret named ${params.token_secret} first)`;
      throw new InvalidRequestError(ErrorCode.validation, `repository.token_secret ${message}`, field('repository.token_secret', message));
    }
    return { url: params.url, ref: params.ref ?? null, depth: params.depth ?? 1, token_secret: params.token_secret ?? null, status: 'cloning', commit: null };
  }

  async rename(em: EntityManager, owner: ConversationOwner, id: string, title: string | null): Promise<ConversationJson> {
    const conversation = await this.getOwned(em, owner, id);
    conversation.title = title ? title : null;
    await em.flush();
    return toConversationJson(conversation);
  }

  async delete(em: EntityManager, owner: ConversationOwner, id: string): Promise<void> {
    const conversation = await this.getOwned(em, owner, id);
    await em.remove(conversation).flush();
    await this.#runs?.forget(conversation);
    // Its snapshot rows went with it; blobs no other snapshot of the user shares go now.
    await this.#snapshots?.collectGarbage(em.fork(), userOf(owner));
  }

  async listMessages(em: EntityManager, owner: ConversationOwner, id: string, params: EventListParams): Promise<Page<EventJson>> {
    await this.getOwned(em, owner, id);
    return listEvents(em, id, { after: params.after, limit: params.limit ?? 100, type: 'message' });
  }

  async listEvents(em: EntityManager, owner: ConversationOwner, id: string, params: EventListParams): Promise<Page<EventJson>> {
    await this.getOwned(em, owner, id);
    return listEvents(em, id, { after: params.after, limit: params.limit ?? 100 });
  }

  /** Is the conversation running now (anyone's: a check on an id already authorised)? */
  async isRunning(em: EntityManager, id: string): Promise<boolean> {
    return (await em.findOne(ConversationEntity, { id }, { fields: ['state'], disableIdentityMap: true }))?.state === 'running';
  }

  /**
   * Stores the user's message and starts the run that answers it (while the agent is `starting`, the run waits for
   * it); refused while the agent is stopped, stopping, in error or deleted.
   */
  async postMessage(em: EntityManager, owner: ConversationOwner, id: string, content: string, attachments?: WorkspaceFile[]): Promise<EventJson> {
    const conversation = await this.#runnable(em, owner, id, ['running', 'starting']);
    return this.#runner().postMessage(em, conversation, content, attachments);
  }

  /** Resumes a run waiting for confirmation of its pending action (its agent must be running). */
  async confirm(em: EntityManager, owner: ConversationOwner, id: string, approve: boolean): Promise<ConversationJson> {
    const conversation = await this.#runnable(em, owner, id, ['running']);
    await this.#runner().confirm(em, conversation, approve);
    return toConversationJson(await this.getOwned(em.fork(), owner, id));
  }

  /** Stops the conversation's run (in whichever process runs it). */
  async stop(em: EntityManager, owner: ConversationOwner, id: string): Promise<ConversationJson> {
    const conversation = await this.getOwned(em, owner, id);
    await this.#runner().stop(em, conversation);
    return toConversationJson(await this.getOwned(em.fork(), owner, id));
  }

  #runner(): ConversationRuns {
    if (!this.#runs) throw new Error('this app was built without a runner');
    return this.#runs;
  }

  async #runnable(em: EntityManager, owner: ConversationOwner, id: string, accepted: readonly AgentStatus[]): Promise<Conversation> {
    const conversation = await this.getOwned(em, owner, id);
    if (conversation.agentId) {
      const refusal = await agentRefusal(em, conversation.agentId, accepted);
      if (refusal) throw refusal;
    }
    return conversation;
  }
}

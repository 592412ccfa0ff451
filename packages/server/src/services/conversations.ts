import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod/mini';
import type {
  ActionEvent,
  Approval,
  AgentStatus,
  Conversation as ConversationJson,
  ConversationCreateParamsSchema,
  ConversationListParams,
  Event as EventJson,
  EventListParams,
  Page,
} from '@metisai/sdk/schemas';
import { DEFAULT_PAGE_SIZE, listNewestFirst } from '../db/paginate.ts';
import { ConversationEntity, EventEntity, type Conversation } from '../entities/index.ts';
import { NotFoundError } from '../errors.ts';
import { listEvents, toEventJson } from '../events/event-log.ts';
import { uuid7 } from '../security/uuid7.ts';
import { agentRefusal, type AgentService } from './agents.ts';

/**
 * What the conversation service needs from whatever runs agents (`ConversationRunner` in runs/). Each method throws
 * domain errors (`ConflictError` with `conversation_busy`, `not_awaiting_confirmation`, `conversation_not_running`).
 */
export interface ConversationRuns {
  /** Stores the user's message with `state: running` and starts the run that answers it; answers the message event. */
  postMessage(em: EntityManager, conversation: Conversation, content: string): Promise<EventJson>;
  /** Answers the pending action of a conversation in `awaiting_confirmation` and resumes the run. */
  confirm(em: EntityManager, conversation: Conversation, approve: boolean): Promise<void>;
  /** Stops the conversation's run, in whichever process runs it. */
  stop(em: EntityManager, conversation: Conversation): Promise<void>;
  /** The conversation was deleted: its run stops and its sandbox goes. */
  forget(conversation: Conversation): Promise<void>;
  /** An agent's start or stop is over (its status stored): runs waiting for it, in every process, go on or end. */
  agentSettled(agentId: string): Promise<void>;
}

/** `%`, `_` and `\\` taken literally in an `ilike` pattern. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

export const toConversationJson = (conversation: Conversation): ConversationJson => ({
  id: conversation.id,
  agent_id: conversation.agentId ?? null,
  title: conversation.title ?? null,
  state: conversation.state,
  last_seq: conversation.lastSeq,
  usage: {
    prompt_tokens: conversation.promptTokens,
    completion_tokens: conversation.completionTokens,
    total_tokens: conversation.promptTokens + conversation.completionTokens,
    llm_calls: conversation.llmCalls,
  },
  created_at: conversation.createdAt.toISOString(),
  updated_at: conversation.updatedAt.toISOString(),
});

/**
 * The caller's conversations and their logs. Runs go through `runs`; an app built without a runner (`runs: null`, the
 * route-test seam) serves everything else and refuses what needs a run.
 */
export class ConversationService {
  readonly #agents: AgentService;
  readonly #runs: ConversationRuns | null;

  constructor(agents: AgentService, runs: ConversationRuns | null) {
    this.#agents = agents;
    this.#runs = runs;
  }

  /**
   * A page of the user's conversations, filtered by `agent_id`, `state` and `q` (every word of it in the title,
   * case-insensitive); `agentIds` (an API key's restriction) keeps only those of these agents.
   */
  async list(em: EntityManager, userId: string, params: ConversationListParams, agentIds: readonly string[] | null = null): Promise<Page<ConversationJson>> {
    const agentFilter = params.agent_id
      ? { agentId: agentIds && !agentIds.includes(params.agent_id) ? { $in: [] } : params.agent_id }
      : agentIds
        ? { agentId: { $in: [...agentIds] } }
        : {};
    const words = (params.q ?? '').split(/\s+/).filter(Boolean);
    const where: FilterQuery<Conversation> = {
      userId,
      ...agentFilter,
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

  async getOwned(em: EntityManager, userId: string, id: string): Promise<Conversation> {
    const conversation = await em.findOne(ConversationEntity, { id, userId });
    if (!conversation) throw new NotFoundError('conversation');
    return conversation;
  }

  async create(em: EntityManager, userId: string, params: z.output<typeof ConversationCreateParamsSchema>): Promise<ConversationJson> {
    // An agent named in the body must be the caller's own: another user's is a 404 like a missing one.
    if (params.agent_id) await this.#agents.getOwned(em, userId, params.agent_id);
    const conversation = em.create(ConversationEntity, {
      id: uuid7(),
      userId,
      agentId: params.agent_id ?? null,
      title: params.title ? params.title : null,
      state: 'idle',
      lastSeq: 0,
      promptTokens: 0,
      completionTokens: 0,
      llmCalls: 0,
    });
    await em.flush();
    return toConversationJson(conversation);
  }

  async rename(em: EntityManager, userId: string, id: string, title: string | null): Promise<ConversationJson> {
    const conversation = await this.getOwned(em, userId, id);
    conversation.title = title ? title : null;
    await em.flush();
    return toConversationJson(conversation);
  }

  async delete(em: EntityManager, userId: string, id: string): Promise<void> {
    const conversation = await this.getOwned(em, userId, id);
    await em.remove(conversation).flush();
    await this.#runs?.forget(conversation);
  }

  async listMessages(em: EntityManager, userId: string, id: string, params: EventListParams): Promise<Page<EventJson>> {
    await this.getOwned(em, userId, id);
    return listEvents(em, id, { after: params.after, limit: params.limit ?? 100, type: 'message' });
  }

  async listEvents(em: EntityManager, userId: string, id: string, params: EventListParams): Promise<Page<EventJson>> {
    await this.getOwned(em, userId, id);
    return listEvents(em, id, { after: params.after, limit: params.limit ?? 100 });
  }

  /**
   * Stores the user's message and starts the run that answers it (while the agent is `starting`, the run waits for
   * it); refused while the agent is stopped, stopping, in error or deleted.
   */
  async postMessage(em: EntityManager, userId: string, id: string, content: string): Promise<EventJson> {
    const conversation = await this.#runnable(em, userId, id, ['running', 'starting']);
    return this.#runner().postMessage(em, conversation, content);
  }

  /** Resumes a run waiting for confirmation of its pending action (its agent must be running). */
  async confirm(em: EntityManager, userId: string, id: string, approve: boolean): Promise<ConversationJson> {
    const conversation = await this.#runnable(em, userId, id, ['running']);
    await this.#runner().confirm(em, conversation, approve);
    return toConversationJson(await this.getOwned(em.fork(), userId, id));
  }

  /** Stops the conversation's run (in whichever process runs it). */
  async stop(em: EntityManager, userId: string, id: string): Promise<ConversationJson> {
    const conversation = await this.getOwned(em, userId, id);
    await this.#runner().stop(em, conversation);
    return toConversationJson(await this.getOwned(em.fork(), userId, id));
  }

  #runner(): ConversationRuns {
    if (!this.#runs) throw new Error('this app was built without a runner');
    return this.#runs;
  }

  async #runnable(em: EntityManager, userId: string, id: string, accepted: readonly AgentStatus[]): Promise<Conversation> {
    const conversation = await this.getOwned(em, userId, id);
    if (conversation.agentId) {
      const refusal = await agentRefusal(em, conversation.agentId, accepted);
      if (refusal) throw refusal;
    }
    return conversation;
  }
}

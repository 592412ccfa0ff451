import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod/mini';
import type {
  AgentStatus,
  Conversation as ConversationJson,
  ConversationCreateParamsSchema,
  ConversationListParams,
  Event as EventJson,
  EventListParams,
  Page,
} from '@metisai/sdk/schemas';
import { listNewestFirst } from '../db/paginate.ts';
import { ConversationEntity, type Conversation } from '../entities/index.ts';
import { NotFoundError } from '../errors.ts';
import { listEvents } from '../events/event-log.ts';
import { uuid7 } from '../security/uuid7.ts';
import { agentRefusal, type AgentService } from './agents.ts';

/**
 * What the conversation service needs from whatever runs agents (`ConversationRunner` in runs/). Each method throws
 * domain errors (`ConflictError` with `conversation_busy`, `not_awaiting_confirmation`, `conversation_not_running`).
 */
export interface ConversationRuns {
  /** Stores the user's message with `state: running` and starts the run that answers it; answers the message event. */
  postMessage(em: EntityManager, conversation: Conversation, content: string, attachments?: { path: string }[]): Promise<EventJson>;
  /** Answers the pending action of a conversation in `awaiting_confirmation` and resumes the run. */
  confirm(em: EntityManager, conversation: Conversation, approve: boolean): Promise<void>;
  /** Stops the conversation's run, in whichever process runs it. */
  stop(em: EntityManager, conversation: Conversation): Promise<void>;
  /** The conversation was deleted: its run stops and its sandbox goes. */
  forget(conversation: Conversation): Promise<void>;
  /** An agent's start or stop is over (its status stored): runs waiting for it, in every process, go on or end. */
  agentSettled(agentId: string): Promise<void>;
}

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

  constructor(agents: AgentService, runs: ConversationRuns | null) {
    this.#agents = agents;
    this.#runs = runs;
  }

  /**
   * A page of the owner's conversations; `agent_id` and `visitor_id` filter; `agentIds` (an API key's restriction)
   * keeps only those of these agents.
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
    const visitorFilter = params.visitor_id ? { visitorId: params.visitor_id } : {};
    return listNewestFirst(em, ConversationEntity, { ...agentFilter, ...visitorFilter, ...ownedBy(owner) }, params, toConversationJson);
  }

  async getOwned(em: EntityManager, owner: ConversationOwner, id: string): Promise<Conversation> {
    const conversation = await em.findOne(ConversationEntity, { id, ...ownedBy(owner) });
    if (!conversation) throw new NotFoundError('conversation');
    return conversation;
  }

  /** A new conversation: with the user's agent named in the body (or their settings), or a visitor's with its agent. */
  async create(em: EntityManager, owner: ConversationOwner, params: z.output<typeof ConversationCreateParamsSchema>): Promise<ConversationJson> {
    const userId = userOf(owner);
    const visitor = typeof owner === 'string' ? null : owner;
    // An agent named in the body must be the caller's own: another user's is a 404 like a missing one.
    if (!visitor && params.agent_id) await this.#agents.getOwned(em, userId, params.agent_id);
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
    });
    await em.flush();
    return toConversationJson(conversation);
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
  async postMessage(em: EntityManager, owner: ConversationOwner, id: string, content: string, attachments?: { path: string }[]): Promise<EventJson> {
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

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

/** What deleting a conversation needs from the snapshot store: its blobs that nothing else uses are freed. */
export interface SnapshotGarbage {
  collectGarbage(em: EntityManager, userId: string): Promise<void>;
}

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
  forked_from: conversation.forkedFromId ? { conversation_id: conversation.forkedFromId, seq: conversation.forkedFromSeq ?? 0 } : null,
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
  readonly #snapshots: SnapshotGarbage | null;

  constructor(agents: AgentService, runs: ConversationRuns | null, snapshots: SnapshotGarbage | null = null) {
    this.#agents = agents;
    this.#runs = runs;
    this.#snapshots = snapshots;
  }

  /** A page of the user's conversations; `agentIds` (an API key's restriction) keeps only those of these agents. */
  async list(em: EntityManager, userId: string, params: ConversationListParams, agentIds: readonly string[] | null = null): Promise<Page<ConversationJson>> {
    const agentFilter = params.agent_id
      ? { agentId: agentIds && !agentIds.includes(params.agent_id) ? { $in: [] } : params.agent_id }
      : agentIds
        ? { agentId: { $in: [...agentIds] } }
        : {};
    return listNewestFirst(em, ConversationEntity, { userId, ...agentFilter }, params, toConversationJson);
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
    // Its snapshot rows went with it; blobs no other snapshot of the user shares go now.
    await this.#snapshots?.collectGarbage(em.fork(), userId);
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

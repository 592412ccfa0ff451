import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod/mini';
import type {
  Conversation as ConversationJson,
  ConversationCreateParamsSchema,
  ConversationListParams,
  Event as EventJson,
  EventListParams,
  Page,
} from '@metisai/sdk/schemas';
import { ConversationEntity, type Conversation } from '../entities/index.ts';
import { notFound } from '../http/api-error.ts';
import { uuid7 } from '../security/uuid7.ts';
import { agentRefusal, type AgentService } from './agents.ts';
import { listEvents } from './event-log.ts';
import type { ConversationRunner } from '../runtime/conversation-runner.ts';
import { listNewestFirst } from './paginate.ts';

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

export class ConversationService {
  readonly #agents: AgentService;
  readonly #runner: ConversationRunner;

  constructor(agents: AgentService, runner: ConversationRunner) {
    this.#agents = agents;
    this.#runner = runner;
  }

  async list(em: EntityManager, userId: string, params: ConversationListParams): Promise<Page<ConversationJson>> {
    return listNewestFirst(em, ConversationEntity, { userId, ...(params.agent_id ? { agentId: params.agent_id } : {}) }, params, toConversationJson);
  }

  async getOwned(em: EntityManager, userId: string, id: string): Promise<Conversation> {
    const conversation = await em.findOne(ConversationEntity, { id, userId });
    if (!conversation) throw notFound('conversation');
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
    await this.#runner.forget(conversation);
  }

  async listMessages(em: EntityManager, userId: string, id: string, params: EventListParams): Promise<Page<EventJson>> {
    await this.getOwned(em, userId, id);
    return listEvents(em, id, { after: params.after, limit: params.limit ?? 100, type: 'message' });
  }

  async listEvents(em: EntityManager, userId: string, id: string, params: EventListParams): Promise<Page<EventJson>> {
    await this.getOwned(em, userId, id);
    return listEvents(em, id, { after: params.after, limit: params.limit ?? 100 });
  }

  /** Stores the user's message and starts the run that answers it; refused while the agent is stopped or deleted. */
  async postMessage(em: EntityManager, userId: string, id: string, content: string): Promise<EventJson> {
    const conversation = await this.#runnable(em, userId, id);
    return this.#runner.postMessage(em, conversation, content);
  }

  /** Resumes a run waiting for confirmation of its pending action. */
  async confirm(em: EntityManager, userId: string, id: string, approve: boolean): Promise<ConversationJson> {
    const conversation = await this.#runnable(em, userId, id);
    await this.#runner.confirm(em, conversation, approve);
    return toConversationJson(await this.getOwned(em.fork(), userId, id));
  }

  /** Stops the conversation's run (in whichever process runs it). */
  async stop(em: EntityManager, userId: string, id: string): Promise<ConversationJson> {
    const conversation = await this.getOwned(em, userId, id);
    await this.#runner.stop(em, conversation);
    return toConversationJson(await this.getOwned(em.fork(), userId, id));
  }

  async #runnable(em: EntityManager, userId: string, id: string): Promise<Conversation> {
    const conversation = await this.getOwned(em, userId, id);
    if (conversation.agentId) {
      const refusal = await agentRefusal(em, conversation.agentId);
      if (refusal) throw refusal;
    }
    return conversation;
  }
}

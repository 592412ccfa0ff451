import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod/mini';
import {
  CONVERSATION_EXPORT_FORMAT,
  type Conversation as ConversationJson,
  type ConversationExport,
  type ConversationImportParamsSchema,
} from '@metisai/sdk/schemas';
import { AgentEntity, ConversationEntity } from '../entities/index.ts';
import type { EventInput } from '../events/event-input.ts';
import { listEvents, writeImportedLog } from '../events/event-log.ts';
import { uuid7 } from '../security/uuid7.ts';
import type { AgentService } from './agents.ts';
import { type ConversationService, toConversationJson } from './conversations.ts';

/** What ends an imported log whose last state is `running`: that run cannot go on here (as after a crash). */
const INTERRUPTED_BY_IMPORT: EventInput[] = [
  { type: 'error', code: 'interrupted', message: 'The conversation was exported while the agent was working; send a message to continue.' },
  { type: 'state', state: 'error', reason: 'interrupted' },
];

/**
 * Conversations as documents (`format: metisai.conversation/1`): exported with every stored event (as the API shows
 * them, secrets masked), imported as a new conversation of the caller.
 */
export class ConversationTransferService {
  readonly #conversations: ConversationService;
  readonly #agents: AgentService;
  readonly #version: string;

  constructor(conversations: ConversationService, agents: AgentService, version: string) {
    this.#conversations = conversations;
    this.#agents = agents;
    this.#version = version;
  }

  async export(em: EntityManager, userId: string, id: string): Promise<ConversationExport> {
    const conversation = await this.#conversations.getOwned(em, userId, id);
    const { data: events } = await listEvents(em, id, {});
    return {
      format: CONVERSATION_EXPORT_FORMAT,
      exported_at: new Date().toISOString(),
      server_version: this.#version,
      conversation: toConversationJson(conversation),
      events,
    };
  }

  /**
   * A new conversation of the caller with the document's title and events (new ids and `seq`s, timestamps kept; token
   * usage starts at zero here). Its agent: `agentId` when given (one of the caller's, else 404), else the document's
   * agent when it is the caller's, else none. A log whose last state is `running` ends as `error`/`interrupted`.
   */
  async import(em: EntityManager, userId: string, document: z.output<typeof ConversationImportParamsSchema>, agentId?: string): Promise<ConversationJson> {
    let agent: string | null = null;
    if (agentId) agent = (await this.#agents.getOwned(em, userId, agentId)).id;
    else if (document.conversation.agent_id) {
      agent = (await em.findOne(AgentEntity, { id: document.conversation.agent_id, userId }, { fields: ['id'] }))?.id ?? null;
    }
    const events: Array<EventInput & { createdAt?: Date }> = document.events.map(({ created_at, ...event }) => ({
      ...(event as EventInput),
      ...(created_at ? { createdAt: new Date(created_at) } : {}),
    }));
    const lastState = events.findLast((event) => event.type === 'state');
    if (lastState?.type === 'state' && lastState.state === 'running') events.push(...INTERRUPTED_BY_IMPORT);
    const id = uuid7();
    await em.transactional(async (tx) => {
      tx.create(ConversationEntity, {
        id,
        userId,
        agentId: agent,
        title: document.conversation.title ? document.conversation.title : null,
        state: 'idle',
        lastSeq: 0,
        promptTokens: 0,
        completionTokens: 0,
        llmCalls: 0,
      });
      await tx.flush();
      await writeImportedLog(tx, id, events);
    });
    return toConversationJson(await this.#conversations.getOwned(em.fork(), userId, id));
  }
}

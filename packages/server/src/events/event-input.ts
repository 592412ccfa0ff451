import type { ConversationState, Event, EventType, StateReason, WorkspacePhase } from '@metisai/sdk/schemas';

type StoredFields = 'id' | 'seq' | 'conversation_id' | 'created_at';

/**
 * An event as the server writes it (the agent loop, the runner, the routes): a stored event without the fields the log
 * assigns, with the closed enums of the values this server version writes (responses type them open for newer
 * servers; see the SDK's `openEnum`). `id` may be chosen up front, e.g. the `message_id` an assistant message's
 * deltas already carried.
 */
export type EventInput = {
  [T in EventType]: T extends 'state'
    ? { type: 'state'; state: ConversationState; reason?: StateReason | null; id?: string }
    : T extends 'workspace'
      ? Omit<Extract<Event, { type: 'workspace' }>, StoredFields | 'phase'> & { phase: WorkspacePhase; id?: string }
      : Omit<Extract<Event, { type: T }>, StoredFields> & { id?: string };
}[EventType];

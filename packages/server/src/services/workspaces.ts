import type { SandboxFiles } from '@metisai/sandbox';
import type { Event as EventJson } from '@metisai/sdk/schemas';
import type { Conversation } from '../entities/index.ts';
import type { EventInput } from '../events/event-input.ts';

/** A `workspace` event as a step that changed the workspace outside the agent's actions records it (a clone, an upload). */
export type WorkspaceStepInput = Extract<EventInput, { type: 'workspace' }>;

/** A conversation's workspace files, held open for one operation. */
export interface WorkspaceHandle {
  files: SandboxFiles;
  /** The workspace root inside the sandbox (`/workspace`, or the local driver's directory). */
  workdir: string;
  /** The operation is over (a download once its stream ended): the sandbox may stop when idle again. Idempotent. */
  release(): void;
  /**
   * The operation changed files (an upload, a delete, a move, a mkdir): a workspace snapshot records them, as the state
   * from the conversation's last event on. Call before `release`; never rejects.
   */
  recordChange?(): Promise<void>;
}

/**
 * What the workspace routes need from whatever runs sandboxes (`ConversationSandboxes` in runs/): a conversation's
 * files, with its sandbox started or created as needed.
 */
export interface ConversationWorkspaces {
  /**
   * The conversation's workspace: its sandbox started (or reached in the process that runs it), or created with
   * `create: true` when it has none yet — then also armed to stop when idle. `null` when it has no sandbox and `create`
   * is false. Throws `ConflictError` `conversation_busy` when another process holds the conversation and it has no
   * sandbox yet.
   */
  open(conversation: Conversation, options: { create: boolean }): Promise<WorkspaceHandle | null>;
  /**
   * Records a step that changed the workspace outside the agent's actions — the repository copied in (`ready`), files
   * uploaded (`uploaded`) — as a `workspace` event, while `workspace` is still held: the one place such steps go
   * through, so that whatever must follow each of them (a snapshot) is added here. Answers the stored event.
   */
  recordStep(conversationId: string, workspace: WorkspaceHandle, input: WorkspaceStepInput): Promise<EventJson>;
}

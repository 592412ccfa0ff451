import type { ConversationState, EventErrorCode, StateReason } from '@metisai/sdk/schemas';

/**
 * How a run ended: the `state` and `reason` of its final `state` event, and the `error` event stored just before it
 * when the run failed (its `code` then equals `reason`, except for a failed clone: `clone_failed`). Every run end is
 * built here, by the functions below.
 */
export interface RunEnd {
  state: ConversationState;
  reason: StateReason;
  error?: { code: EventErrorCode; message: string };
}

/**
 * Why a run's abort signal fired: the user's stop, this server shutting down, the conversation's token budget used up,
 * its log full (`QUOTA_EVENTS_PER_CONVERSATION`), or (a visitor's conversation) the tokens of the day its agent's
 * embed quotas allow used up.
 */
export type RunAbortReason = 'user_stop' | 'interrupted' | 'budget' | 'quota_exceeded' | 'visitor_tokens';

/** The codes an LLM failure may end a run with. */
export type LlmFailureCode = Extract<EventErrorCode, 'llm_auth' | 'llm_error' | 'llm_timeout' | 'llm_context_length' | 'egress_refused'>;

const failed = (code: Extract<StateReason, EventErrorCode>, message: string): RunEnd => ({ state: 'error', reason: code, error: { code, message } });

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The model answered without a tool call: the user's turn. */
export const awaitingUser = (): RunEnd => ({ state: 'idle', reason: 'awaiting_user' });

/** An action waits for the user's approval (confirmation mode). */
export const awaitingConfirmation = (): RunEnd => ({ state: 'awaiting_confirmation', reason: 'confirmation_required' });

/** The model called `finish`. */
export const finished = (): RunEnd => ({ state: 'finished', reason: 'finish' });

/** The user stopped the run. */
export const userStopped = (): RunEnd => ({ state: 'stopped', reason: 'user_stop' });

/**
 * The server stopped while the run was going: on shutdown (the run is aborted) or, found at the next start, after a
 * crash. Either way the run cannot go on by itself.
 */
export const interrupted = (): RunEnd => failed('interrupted', 'The server stopped while the agent was working; send a message to continue.');

/** The conversation used the agent's `max_budget_tokens` (prompt + completion tokens of every call so far). */
export const budgetExhausted = (budget?: number): RunEnd =>
  failed('budget', `The conversation used its token budget${budget === undefined ? '' : ` of ${budget} tokens`} (the agent's max_budget_tokens).`);

/** A per-user limit of the server stopped the run (running sandboxes, events per conversation). */
export const quotaExceeded = (message: string): RunEnd => failed('quota_exceeded', message);

/** A run aborted through its signal ends as the reason says. */
export function aborted(reason: unknown): RunEnd {
  if (reason === 'interrupted') return interrupted();
  if (reason === 'budget') return budgetExhausted();
  if (reason === 'quota_exceeded') return quotaExceeded('The conversation holds the most events this server allows; start a new conversation.');
  if (reason === 'visitor_tokens') return quotaExceeded('The tokens this agent allows its visitors today (UTC) are used up.');
  return userStopped();
}

export const maxIterationsReached = (limit: number): RunEnd =>
  failed('max_iterations', `The agent reached its limit of ${limit} iterations without finishing.`);

export const stuck = (): RunEnd =>
  failed('stuck', 'The agent is stuck in a loop: it repeated the same actions with the same results (or the same failing call).');

/** The LLM call failed for good (after retries, or not retryable). */
export const llmFailure = (code: LlmFailureCode, message: string): RunEnd => failed(code, message);

/** The run's LLM endpoint cannot be resolved (no model, URL or key). */
export const llmNotConfigured = (message: string): RunEnd => failed('llm_not_configured', message);

/** The sandbox could not be reached or failed under a command; a refused one (the user's sandbox quota) ends as `quota_exceeded`. */
export function sandboxFailure(err: unknown): RunEnd {
  const code = (err as { code?: unknown }).code;
  if (code === 'quota_exceeded') return quotaExceeded(describe(err));
  return failed('sandbox_error', `The sandbox failed (${typeof code === 'string' ? `${code}: ` : ''}${describe(err)})`);
}

/**
 * Messages sent while the agent was starting waited for it, and its start failed: `statusMessage` is the agent's
 * `status_message` (for a failed image build, the end of the build log).
 */
export const agentStartFailed = (statusMessage: string | null): RunEnd =>
  failed('agent_start_failed', `The agent could not start, so the waiting messages were not answered: ${statusMessage ?? 'no reason was given'}`);

/**
 * The conversation's repository could not be cloned into its workspace: the setup ends in `error` with the reason
 * `clone_failed`, and the error event says why (`code`: `repository_not_found`, `repository_auth_failed`,
 * `repository_unreachable`, `repository_ref_not_found`, `repository_too_large`, `egress_refused`).
 */
export const cloneFailed = (
  code: Extract<
    EventErrorCode,
    'repository_not_found' | 'repository_auth_failed' | 'repository_unreachable' | 'repository_ref_not_found' | 'repository_too_large' | 'egress_refused'
  >,
  message: string,
): RunEnd => ({ state: 'error', reason: 'clone_failed', error: { code, message } });

/** A bug or an infrastructure failure outside the sandbox and the LLM. */
export const internalError = (err: unknown): RunEnd => failed('internal_error', describe(err));

/** The events that record `end`: the error event (when it failed), then the final state event. */
export function runEndEvents(
  end: RunEnd,
): Array<{ type: 'error'; code: EventErrorCode; message: string } | { type: 'state'; state: ConversationState; reason: StateReason }> {
  return [...(end.error ? [{ type: 'error' as const, ...end.error }] : []), { type: 'state' as const, state: end.state, reason: end.reason }];
}

import type { ActionEvent } from '@metisai/sdk/schemas';
import { executeToolCall, type ToolOutcome } from './execute-tool-call.ts';
import { hasUserMessageAfter, pendingActions } from './pending-actions.ts';
import type { RunContext } from './run-context.ts';
import { aborted, awaitingConfirmation, finished, type RunEnd, sandboxFailure } from './run-ends.ts';
import { type ConfirmationDecision, FILE_CHANGING_TOOLS, SNAPSHOT_WAIT_MS } from './run-options.ts';
import { takeStepListing } from './step-changes.ts';

export const REJECTED = 'The user rejected this action, so it was not executed.';
export const OVERTAKEN = 'The user sent a new message before this action ran, so it was not executed.';
const SKIPPED: Record<string, string> = {
  stopped: 'The user stopped the run before this action was executed.',
  finished: 'Not executed: the task was finished by an earlier call.',
  error: 'Not executed: the run ended with an error.',
};

/**
 * Runs the actions without an observation, in order. In confirmation mode a sandbox action waits for
 * `decision` (applied to the first one); without it the run pauses in `awaiting_confirmation`. An action
 * a later user message overtook (the user wrote instead of confirming, or the server died mid-run) and,
 * once the run ends (finish, stop, failure), the remaining actions get an observation saying they did not run.
 */
export async function executePendingActions(run: RunContext, decision?: ConfirmationDecision): Promise<RunEnd | null> {
  let end: RunEnd | null = null;
  for (const action of pendingActions(run.events)) {
    if (!end && run.isStopped) end = aborted(run.stopReason);
    if (end) {
      await run.observe(action, { content: SKIPPED[end.state] ?? SKIPPED.error! });
      continue;
    }
    if (decision === undefined && hasUserMessageAfter(run.events, action)) {
      await run.observe(action, { content: OVERTAKEN });
      continue;
    }
    if (run.options.confirmationMode && run.tool(action.tool)?.needsConfirmation) {
      if (decision === undefined) return awaitingConfirmation();
      const answer = decision;
      decision = undefined;
      if (answer === 'reject') {
        await run.observe(action, { content: REJECTED });
        continue;
      }
    }
    end = await execute(run, action);
  }
  return end;
}

async function execute(run: RunContext, action: ActionEvent): Promise<RunEnd | null> {
  let outcome: ToolOutcome;
  // The previous step's snapshot (taken while the LLM answered) is stored before this action changes anything.
  await run.options.snapshots?.settled(SNAPSHOT_WAIT_MS);
  try {
    outcome = await executeToolCall(run, action);
  } catch (err) {
    await run.observe(action, { content: `ERROR: the sandbox failed: ${err instanceof Error ? err.message : String(err)}` });
    return sandboxFailure(err);
  }
  const observation = await run.observe(action, outcome);
  if (FILE_CHANGING_TOOLS.has(action.tool)) run.options.snapshots?.record(run.sandbox, observation.seq, takeStepListing(run));
  if (outcome.finishMessage === undefined) return null;
  await run.emit({ type: 'message', role: 'assistant', content: outcome.finishMessage });
  return finished();
}

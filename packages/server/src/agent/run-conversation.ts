import { executePendingActions, sandboxFailure } from './execute-pending-actions.ts';
import { RunContext } from './run-context.ts';
import type { RunConversationOptions, RunEnd, RunResult } from './run-options.ts';
import { step } from './step.ts';
import { currentTask, isStuck, maxIterationsReached, replyStarts, stopped, stuck } from './stop-conditions.ts';
import { buildSystemPrompt } from './system-prompt.ts';

const DEFAULT_MAX_ITERATIONS = 100;

/**
 * Runs the agent from the conversation's stored events until it leaves `running`: the LLM replies, its
 * tool calls run in the sandbox, and every step is emitted. The first event is `state: running`, the last
 * one the final `state`. Only the emitter's failures throw; everything else ends the run with a state.
 */
export async function runConversation(options: RunConversationOptions): Promise<RunResult> {
  const run = new RunContext(options);
  await run.emit({ type: 'state', state: 'running', reason: options.decision ? `user_${options.decision}` : null });
  let end: RunEnd;
  try {
    end = await loop(run);
  } catch (err) {
    end = { state: 'error', reason: 'internal_error', error: { code: 'internal_error', message: err instanceof Error ? err.message : String(err) } };
  }
  return run.end(end);
}

async function loop(run: RunContext): Promise<RunEnd> {
  try {
    await run.prepare();
  } catch (err) {
    return sandboxFailure(err);
  }
  const maxIterations = run.options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const systemPrompt = buildSystemPrompt({
    workdir: run.sandbox.workdir,
    tools: run.tools,
    secretNames: Object.keys(run.options.secrets ?? {}),
    agentPrompt: run.options.systemPrompt,
  });
  let iterations = replyStarts(currentTask(run.events)).length;
  let end = await executePendingActions(run, run.options.decision);
  while (!end) {
    if (run.isStopped) return stopped(run.stopReason);
    if (isStuck(run.events)) return stuck();
    if (iterations >= maxIterations) return maxIterationsReached(maxIterations);
    iterations++;
    const result = await step(run, systemPrompt);
    if ('end' in result) return result.end;
    if (result.toolCallCount === 0) return { state: 'idle', reason: 'awaiting_user' };
    end = await executePendingActions(run);
  }
  return end;
}

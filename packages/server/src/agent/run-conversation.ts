import { DEFAULT_MAX_ITERATIONS } from '@metisai/sdk/schemas';
import { executePendingActions } from './execute-pending-actions.ts';
import { currentTask, replyStarts } from './history.ts';
import { instructionsChanged, loadRepositoryInstructions } from './repository-instructions.ts';
import { RunContext } from './run-context.ts';
import { aborted, awaitingUser, internalError, maxIterationsReached, type RunEnd, sandboxFailure, stuck } from './run-ends.ts';
import type { RunConversationOptions, RunResult } from './run-options.ts';
import { step } from './step.ts';
import { isStuck } from './stuck-detector.ts';
import { buildSystemPrompt } from './system-prompt.ts';

/**
 * Runs the agent from the conversation's stored events until it leaves `running`: the LLM replies, its tool calls run
 * in the sandbox, and every step is emitted. The caller has already stored `state: running` (with the message or the
 * confirmation that started the run); the last event emitted here is the final `state`. Only the emitter's failures
 * throw; everything else ends the run with a state.
 */
export async function runConversation(options: RunConversationOptions): Promise<RunResult> {
  const run = new RunContext(options);
  let end: RunEnd;
  try {
    end = await loop(run);
  } catch (err) {
    end = internalError(err);
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
  // The repository's instructions are read again at every run start; a change is told to the user once.
  const instructions = await loadRepositoryInstructions(run.sandbox.files, run.sandbox.workdir);
  if (instructionsChanged(run.events, instructions)) {
    await run.emit({ type: 'workspace', phase: 'instructions', instructions: instructions.map(({ content: _, ...file }) => file) });
  }
  const systemPrompt = buildSystemPrompt({
    workdir: run.sandbox.workdir,
    tools: run.tools,
    secretNames: Object.keys(run.options.secrets ?? {}),
    agentPrompt: run.options.systemPrompt,
    repositoryInstructions: instructions,
  });
  let iterations = replyStarts(currentTask(run.events)).length;
  let end = await executePendingActions(run, run.options.decision);
  while (!end) {
    if (run.isStopped) return aborted(run.stopReason);
    if (isStuck(run.events)) return stuck();
    if (iterations >= maxIterations) return maxIterationsReached(maxIterations);
    iterations++;
    const result = await step(run, systemPrompt);
    if ('end' in result) return result.end;
    if (result.toolCallCount === 0) return awaitingUser();
    end = await executePendingActions(run);
  }
  return end;
}

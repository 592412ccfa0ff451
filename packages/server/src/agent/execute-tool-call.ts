import type { EditorParams } from '@metisai/sandbox';
import type { ActionEvent } from '@metisai/sdk/schemas';
import { parseToolCall } from './parse-tool-call.ts';
import type { RunContext } from './run-context.ts';
import { editWithDiff, runWithChangedFiles, type StepChanges } from './step-changes.ts';
import type { ToolResult } from './tools/index.ts';

export type ToolOutcome = ToolResult & StepChanges;

/** Runs one action. The model's mistakes come back as `ERROR:` observations; sandbox failures throw. */
export async function executeToolCall(run: RunContext, action: ActionEvent): Promise<ToolOutcome> {
  const parsed = parseToolCall(action, run.tools);
  if ('error' in parsed) return { content: parsed.error };
  const { signal, onCommandOutput } = run.options;
  const execute = () =>
    parsed.tool.execute(parsed.args, {
      sandbox: run.sandbox,
      masker: run.masker,
      signal,
      onOutput: onCommandOutput && ((chunk) => onCommandOutput(action.tool_call_id, chunk)),
    });
  // Per-step diffs (step-changes.ts): an edit's unified diff, the files a bash step changed.
  if (parsed.tool.name === 'str_replace_editor') return editWithDiff(run, run.sandbox, parsed.args as unknown as EditorParams, execute);
  if (parsed.tool.name === 'execute_bash') return runWithChangedFiles(run, run.sandbox, execute);
  return execute();
}

import type { ActionEvent } from '@metisai/sdk/schemas';
import { parseToolCall } from './parse-tool-call.ts';
import type { RunContext } from './run-context.ts';
import type { ToolResult } from './tools/index.ts';

export type ToolOutcome = ToolResult;

/** Runs one action. The model's mistakes come back as `ERROR:` observations; sandbox failures throw. */
export async function executeToolCall(run: RunContext, action: ActionEvent): Promise<ToolOutcome> {
  const parsed = parseToolCall(action, run.tools);
  if ('error' in parsed) return { content: parsed.error };
  const { signal, onCommandOutput } = run.options;
  return parsed.tool.execute(parsed.args, {
    sandbox: run.sandbox,
    masker: run.masker,
    signal,
    onOutput: onCommandOutput && ((chunk) => onCommandOutput(action.tool_call_id, chunk)),
  });
}

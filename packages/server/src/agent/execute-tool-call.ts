import type { EditorParams, ExecuteBashParams } from '@metisai/sandbox';
import type { ActionEvent } from '@metisai/sdk/schemas';
import { parseToolCall } from './parse-tool-call.ts';
import type { Observation, RunContext } from './run-context.ts';
import { editWithDiff, runWithChangedFiles } from './step-changes.ts';

export interface ToolOutcome extends Observation {
  /** Set by `finish`: the message for the user. */
  finishMessage?: string;
}

const INTERRUPT_EVERY_MS = 250;

/** Runs one action. The model's mistakes come back as `ERROR:` observations; sandbox failures throw. */
export async function executeToolCall(run: RunContext, action: ActionEvent): Promise<ToolOutcome> {
  const parsed = parseToolCall(action, run.tools);
  if ('error' in parsed) return { content: parsed.error };
  const { tool, args } = parsed;
  switch (tool.name) {
    case 'think':
      return { content: 'Your thought has been logged.' };
    case 'finish':
      return { content: 'The task is finished.', finishMessage: String(args.message) };
    case 'str_replace_editor': {
      const params = args as unknown as EditorParams;
      const { isError, output, diff } = await editWithDiff(run, run.sandbox, params, () => run.sandbox.editor.run(params));
      return { content: isError ? `ERROR:\n${output}` : output, ...(diff ? { diff } : {}) };
    }
    case 'execute_bash':
      return runWithChangedFiles(run, run.sandbox, () => executeBash(run, action.tool_call_id, args as unknown as ExecuteBashParams));
  }
}

/** A user stop sends C-c until the command returns (the first one may arrive before the command started). */
async function executeBash(run: RunContext, toolCallId: string, params: ExecuteBashParams): Promise<ToolOutcome> {
  const { shell } = run.sandbox;
  const { signal, onCommandOutput } = run.options;
  let timer: NodeJS.Timeout | undefined;
  const handleAbort = () => {
    shell.interrupt();
    timer = setInterval(() => shell.interrupt(), INTERRUPT_EVERY_MS);
  };
  signal?.addEventListener('abort', handleAbort, { once: true });
  const output = run.masker.stream();
  try {
    const result = await shell.execute(params, {
      onOutput:
        onCommandOutput &&
        ((chunk) => {
          const safe = output.push(chunk);
          if (safe) onCommandOutput(toolCallId, safe);
        }),
    });
    const rest = output.flush();
    if (rest) onCommandOutput?.(toolCallId, rest);
    return { content: result.text, exitCode: result.exitCode };
  } finally {
    signal?.removeEventListener('abort', handleAbort);
    clearInterval(timer);
  }
}

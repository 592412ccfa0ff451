import { ALL_TOOLS, type ToolName } from '@metisai/sdk/schemas';
import type { AgentTool } from './agent-tool.ts';
import { executeBashTool } from './execute-bash.ts';
import { finishTool } from './finish.ts';
import { strReplaceEditorTool } from './str-replace-editor.ts';
import { thinkTool } from './think.ts';

export type { AgentTool } from './agent-tool.ts';

const TOOLS: Record<ToolName, AgentTool> = {
  execute_bash: executeBashTool,
  str_replace_editor: strReplaceEditorTool,
  think: thinkTool,
  finish: finishTool,
};

/** The enabled tools in a stable order. `finish` is always there: without it a task could not end. */
export const toolsFor = (names: readonly ToolName[] = ALL_TOOLS): AgentTool[] =>
  ALL_TOOLS.filter((name) => name === 'finish' || names.includes(name)).map((name) => TOOLS[name]);

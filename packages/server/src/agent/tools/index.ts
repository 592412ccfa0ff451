import { ALL_TOOLS, type ToolName } from '@metisai/sdk/schemas';
import type { AgentTool } from './agent-tool.ts';
import { executeBashTool } from './execute-bash.ts';
import { finishTool } from './finish.ts';
import { strReplaceEditorTool } from './str-replace-editor.ts';
import { thinkTool } from './think.ts';

export type { AgentTool, ToolContext, ToolResult } from './agent-tool.ts';

/** Every tool, in the order of the SDK's `ALL_TOOLS` (the wire enum of tool names). */
const TOOLS: readonly AgentTool[] = [executeBashTool, strReplaceEditorTool, thinkTool, finishTool];

/** The enabled tools in a stable order. `finish` is always there: without it a task could not end. */
export const toolsFor = (names: readonly ToolName[] = ALL_TOOLS): AgentTool[] => TOOLS.filter((tool) => tool.name === 'finish' || names.includes(tool.name));

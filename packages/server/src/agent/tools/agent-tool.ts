import type { ToolName } from '@metisai/sdk/schemas';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import type { z } from 'zod/mini';

/** One CodeAct tool: what the model is told (`definition`) and how its arguments are checked (`args`). */
export interface AgentTool {
  name: ToolName;
  definition: ChatCompletionFunctionTool;
  args: z.ZodMiniType;
  /** Acts in the sandbox, so confirmation mode asks the user first. */
  needsConfirmation: boolean;
}

interface ToolSpec {
  name: ToolName;
  description: string;
  /** JSON Schema of the arguments, as OpenHands declares them. */
  parameters: Record<string, unknown>;
  args: z.ZodMiniType;
  needsConfirmation: boolean;
}

export const defineTool = ({ name, description, parameters, args, needsConfirmation }: ToolSpec): AgentTool => ({
  name,
  args,
  needsConfirmation,
  definition: { type: 'function', function: { name, description, parameters } },
});

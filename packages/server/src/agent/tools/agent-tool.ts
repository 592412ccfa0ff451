import type { Sandbox } from '@metisai/sandbox';
import type { ToolName } from '@metisai/sdk/schemas';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import type { z } from 'zod/mini';
import type { SecretMasker } from '../secret-masker.ts';
import { toolParameters } from './tool-parameters.ts';

/** What a tool may act on while it runs one call. Built by the loop for each action. */
export interface ToolContext {
  /** The conversation's sandbox, ready (secrets exported). */
  sandbox: Sandbox;
  /** Hides the run's secrets in anything the tool streams. */
  masker: SecretMasker;
  /** Aborted when the user stops the run: a long-running tool should give up or interrupt its work. */
  signal?: AbortSignal;
  /** Where the tool streams live output of this call (ANSI included), when someone listens; mask it with `masker` first. */
  onOutput?: (chunk: string) => void;
}

/** What one call gives back: the observation the model reads, and for `finish` the message for the user. */
export interface ToolResult {
  content: string;
  /** Exit code of a shell command (`null` while it still runs); absent for other tools. */
  exitCode?: number | null;
  /** Set by `finish`: the message for the user, which ends the run. */
  finishMessage?: string;
}

/** The model's arguments, as a JSON object. */
export type ToolArgs = Record<string, unknown>;

/**
 * One CodeAct tool, written once: what the model is told, how its arguments are checked, and what it does.
 * `parameters` is the strict schema: the JSON Schema the model is shown is derived from it (`definition`),
 * and every call is checked against it after `coerce`.
 */
export interface ToolSpec<Parameters extends z.ZodMiniObject = z.ZodMiniObject> {
  name: ToolName;
  /** Shown to the model as is (OpenHands' wording for its CodeAct tools). */
  description: string;
  /** Strict schema of the arguments; field descriptions come from `z.describe`. */
  parameters: Parameters;
  /**
   * Lenient step for what models actually send (e.g. `true` where the schema says `'true'`, `"30"` where it
   * says a number). Runs after `null` fields were dropped; what it cannot fix is left for `parameters` to refuse.
   */
  coerce?: (args: ToolArgs) => ToolArgs;
  /** Acts in the sandbox, so confirmation mode asks the user first. */
  needsConfirmation: boolean;
  /** Runs one call with checked arguments. The model's mistakes resolve to `ERROR:` texts; sandbox failures throw. */
  execute(args: z.output<Parameters>, context: ToolContext): Promise<ToolResult>;
}

/** A tool as the loop uses it: its spec plus the function definition sent to the model. */
export interface AgentTool<Parameters extends z.ZodMiniObject = z.ZodMiniObject> extends ToolSpec<Parameters> {
  /** The entry of the chat-completions `tools` list (OpenAI's function-calling format). */
  definition: ChatCompletionFunctionTool;
}

/** Derives the tool's `definition` from its spec. */
export const defineTool = <Parameters extends z.ZodMiniObject>(spec: ToolSpec<Parameters>): AgentTool<Parameters> => ({
  ...spec,
  definition: {
    type: 'function',
    function: { name: spec.name, description: spec.description, parameters: toolParameters(spec.parameters) },
  },
});

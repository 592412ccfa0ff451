import type { ActionEvent } from '@metisai/sdk/schemas';
import { z } from 'zod/mini';
import { en } from 'zod/locales';
import type { AgentTool } from './tools/index.ts';
import { withoutNulls } from './tools/coerce-values.ts';

/** Key of the stored `args` when the model's arguments were not a JSON object (the raw string is kept). */
export const RAW_ARGUMENTS = '_raw_arguments';

/** The model reads zod's English messages, whatever locale the process configured. */
const { localeError } = en();

/** The `args` stored in the action event for the model's raw arguments string. */
export function toStoredArgs(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Kept raw below, so the model sees what it sent.
  }
  return { [RAW_ARGUMENTS]: raw };
}

export type ParsedToolCall = { tool: AgentTool; args: z.output<AgentTool['parameters']> } | { error: string };

/**
 * Checks a stored action against the enabled tools: `null` fields dropped, the tool's lenient `coerce`, then its
 * strict `parameters`. A mistake becomes an `ERROR:` text for the model.
 */
export function parseToolCall(action: Pick<ActionEvent, 'tool' | 'args'>, tools: readonly AgentTool[]): ParsedToolCall {
  const tool = tools.find((candidate) => candidate.name === action.tool);
  if (!tool) {
    return { error: `ERROR: Unknown tool "${action.tool}". The available tools are: ${tools.map((t) => t.name).join(', ')}.` };
  }
  const raw = action.args[RAW_ARGUMENTS];
  if (typeof raw === 'string') {
    return { error: `ERROR: The arguments of your ${tool.name} call are not a valid JSON object: ${raw.slice(0, 200)}\nSend the arguments as a JSON object.` };
  }
  const args = withoutNulls(action.args);
  const parsed = z.safeParse(tool.parameters, tool.coerce ? tool.coerce(args) : args, { error: localeError });
  if (!parsed.success) return { error: `ERROR: Invalid arguments for ${tool.name}:\n${z.prettifyError(parsed.error)}` };
  return { tool, args: parsed.data };
}

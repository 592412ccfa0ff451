import type { ActionEvent } from '@metisai/sdk/schemas';
import { z } from 'zod/mini';
import type { AgentTool } from './tools/index.ts';

/** Key of the stored `args` when the model's arguments were not a JSON object (the raw string is kept). */
export const RAW_ARGUMENTS = '_raw_arguments';

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

export type ParsedToolCall = { tool: AgentTool; args: Record<string, unknown> } | { error: string };

/** Checks a stored action against the enabled tools; a mistake becomes an `ERROR:` text for the model. */
export function parseToolCall(action: Pick<ActionEvent, 'tool' | 'args'>, tools: readonly AgentTool[]): ParsedToolCall {
  const tool = tools.find((candidate) => candidate.name === action.tool);
  if (!tool) {
    return { error: `ERROR: Unknown tool "${action.tool}". The available tools are: ${tools.map((t) => t.name).join(', ')}.` };
  }
  const raw = action.args[RAW_ARGUMENTS];
  if (typeof raw === 'string') {
    return { error: `ERROR: The arguments of your ${tool.name} call are not a valid JSON object: ${raw.slice(0, 200)}\nSend the arguments as a JSON object.` };
  }
  const parsed = z.safeParse(tool.args, action.args);
  if (!parsed.success) return { error: `ERROR: Invalid arguments for ${tool.name}:\n${z.prettifyError(parsed.error)}` };
  return { tool, args: parsed.data as Record<string, unknown> };
}

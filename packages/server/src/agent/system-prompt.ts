import type { AgentTool } from './tools/index.ts';

/** The system message: who the agent is, where it works, its tools, the secrets it may use, then the agent's own prompt. */
export function buildSystemPrompt(options: { workdir: string; tools: readonly AgentTool[]; secretNames: readonly string[]; agentPrompt?: string }): string {
  const lines = [
    'You are MetisAI, a helpful AI agent that can interact with a computer to solve tasks.',
    '',
    '<ENVIRONMENT>',
    `* Your working directory is ${options.workdir}. Create and edit files there, and always use absolute paths.`,
    `* Your tools: ${options.tools.map((tool) => tool.name).join(', ')}. Use one tool call per step unless the calls are independent.`,
    '* When the task is done, or you cannot go further, call `finish` with a message for the user. If you need an answer from the user, reply with text and no tool call.',
  ];
  if (options.secretNames.length > 0) {
    lines.push(
      `* These environment variables hold secrets: ${options.secretNames.join(', ')}. Refer to them by name (e.g. "$${options.secretNames[0]}"); their values are shown as <secret_hidden>.`,
    );
  }
  lines.push('</ENVIRONMENT>');
  if (options.agentPrompt?.trim()) lines.push('', options.agentPrompt.trim());
  return lines.join('\n');
}

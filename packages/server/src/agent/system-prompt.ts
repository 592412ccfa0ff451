import type { AgentTool } from './tools/index.ts';

/**
 * The system message: who the agent is, where it works, its tools, the secrets it may use, then the agent's own prompt,
 * then the repository's instructions for agents (`AGENTS.md`, `.openhands/microagents/repo.md`: see
 * `loadRepositoryInstructions`), each under its file name, in a `<REPOSITORY_INSTRUCTIONS>` block as OpenHands frames
 * its repository microagent.
 */
export function buildSystemPrompt(options: {
  workdir: string;
  tools: readonly AgentTool[];
  secretNames: readonly string[];
  agentPrompt?: string;
  repositoryInstructions?: readonly { path: string; content: string }[];
}): string {
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
  const instructions = (options.repositoryInstructions ?? []).filter((file) => file.content.trim() !== '');
  if (instructions.length > 0) {
    lines.push(
      '',
      '<REPOSITORY_INSTRUCTIONS>',
      `The repository in ${options.workdir} gives these instructions to agents working on it. Follow them unless the user asks otherwise.`,
    );
    for (const file of instructions) lines.push('', `# ${file.path}`, '', file.content.trim());
    lines.push('</REPOSITORY_INSTRUCTIONS>');
  }
  return lines.join('\n');
}

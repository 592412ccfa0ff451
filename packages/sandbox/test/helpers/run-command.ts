import type { ExecuteBashResult, Sandbox } from '../../src/index.ts';

/**
 * Runs a command that is expected to finish. A generous hard timeout disables the short
 * no-output timeout the suites configure, so a loaded machine cannot turn it into `still_running`.
 */
export function run(sandbox: Sandbox, command: string): Promise<ExecuteBashResult> {
  return sandbox.shell.execute({ command, timeout: 60 });
}

/** Its output, after checking that it completed with exit code 0. */
export async function outputOf(sandbox: Sandbox, command: string): Promise<string> {
  const result = await run(sandbox, command);
  if (result.status !== 'completed' || result.exitCode !== 0) {
    throw new Error(`"${command}" ended with ${result.status} (exit ${result.exitCode}):\n${result.text}`);
  }
  return result.output;
}

import { z } from 'zod/mini';
import { defineTool } from './agent-tool.ts';
import { booleanString, numberFromString } from './coerce-values.ts';

const DESCRIPTION = `Execute a bash command in the terminal within a persistent shell session.

### Command Execution
* One command at a time: You can only execute one bash command at a time. If you need to run multiple commands sequentially, use \`&&\` or \`;\` to chain them together.
* Persistent session: Commands execute in a persistent shell session where environment variables, virtual environments, and working directory persist between commands.
* Soft timeout: Commands that produce no new output for a while return early; you then have the option to continue or interrupt the command (see section "Process Management").

### Long-running Commands
* For commands that may run indefinitely, run them in the background and redirect output to a file, e.g. \`python3 app.py > server.log 2>&1 &\`.
* For commands that may run for a long time (e.g. installation or testing commands), or commands that run for a fixed amount of time (e.g. sleep), you should set the "timeout" parameter of your function call to an appropriate value.

### Process Management
* If a command has not finished when it returns, by setting \`is_input\` to \`true\`, you can:
  - Send empty \`command\` to retrieve additional logs
  - Send text (set \`command\` to the text) to STDIN of the running process
  - Send control commands like \`C-c\` (Ctrl+C), \`C-d\` (Ctrl+D), or \`C-z\` (Ctrl+Z) to interrupt the process
  - If you do C-c, you can re-start the process with a longer "timeout" parameter to let it run to completion

### Best Practices
* Directory verification: Before creating new directories or files, first verify the parent directory exists and is the correct location.
* Directory management: Try to maintain working directory by using absolute paths and avoiding excessive use of \`cd\`.

### Output Handling
* Output truncation: If the output exceeds a maximum length, it will be truncated before being returned.`;

const INTERRUPT_EVERY_MS = 250;

export const executeBashTool = defineTool({
  name: 'execute_bash',
  description: DESCRIPTION,
  needsConfirmation: true,
  parameters: z.object({
    command: z
      .string()
      .check(
        z.describe(
          'The bash command to execute. Can be empty string to view additional logs when the previous command has not finished. Can be `C-c` (Ctrl+C) to interrupt the currently running process. Note: You can only execute one bash command at a time. If you need to run multiple commands sequentially, you can use `&&` or `;` to chain them together.',
        ),
      ),
    is_input: z.optional(
      z
        .enum(['true', 'false'])
        .check(
          z.describe(
            'If True, the command is an input to the running process. If False, the command is a bash command to be executed in the terminal. Default is False.',
          ),
        ),
    ),
    timeout: z.optional(
      z
        .number()
        .check(
          z.describe(
            'Optional. Sets a hard timeout in seconds for the command execution. If not provided, the command will use the default soft timeout behavior.',
          ),
        ),
    ),
  }),
  // `is_input` as a boolean, `timeout` as a string ("" meaning none). The shell refuses a timeout that is not positive.
  coerce: ({ is_input, timeout, ...args }) => ({
    ...args,
    ...(is_input === undefined ? {} : { is_input: booleanString(is_input) }),
    ...(timeout === undefined || timeout === '' ? {} : { timeout: numberFromString(timeout) }),
  }),
  /** Secrets are masked in the streamed output. A user stop sends C-c until the command returns (the first one may arrive before the command started). */
  async execute(params, { sandbox, masker, signal, onOutput }) {
    const { shell } = sandbox;
    let timer: NodeJS.Timeout | undefined;
    const handleAbort = () => {
      shell.interrupt();
      timer = setInterval(() => shell.interrupt(), INTERRUPT_EVERY_MS);
    };
    signal?.addEventListener('abort', handleAbort, { once: true });
    const output = masker.stream();
    try {
      const result = await shell.execute(params, {
        onOutput:
          onOutput &&
          ((chunk) => {
            const safe = output.push(chunk);
            if (safe) onOutput(safe);
          }),
      });
      const rest = output.flush();
      if (rest) onOutput?.(rest);
      return { content: result.text, exitCode: result.exitCode };
    } finally {
      signal?.removeEventListener('abort', handleAbort);
      clearInterval(timer);
    }
  },
});

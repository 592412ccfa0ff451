import type { ExecuteBashStatus } from '../sandbox.ts';

/** OpenHands' wording, plus how to use `is_input`. */
const STILL_RUNNING_HELP =
  "You may wait longer to see additional output by sending empty command '', " +
  'send other commands to interact with the current process by setting `is_input` to `true`, ' +
  'send keys ("C-c", "C-z", "C-d") with `is_input` set to `true` to interrupt/kill the command, ' +
  'or use the timeout parameter in execute_bash for future commands.';

export const NO_RUNNING_COMMAND_FOR_LOGS = 'ERROR: No previous running command to retrieve logs from.';
export const NO_RUNNING_COMMAND_FOR_INPUT = 'ERROR: No previous running command to interact with.';
export const CONTINUE_PREFIX = '[Below is the output of the previous command.]\n';

const seconds = (ms: number): string => String(Number((ms / 1000).toFixed(2)));

export function commandNotExecutedNote(command: string): string {
  return (
    `[Your command "${command}" is NOT executed. ` +
    'The previous command is still running - You CANNOT send new commands until the previous command is completed. ' +
    'By setting `is_input` to `true`, you can interact with the current process: ' +
    "You may wait longer to see additional output of the previous command by sending empty command '', " +
    'send other commands to interact with the current process, ' +
    'send keys ("C-c", "C-z", "C-d") to interrupt/kill the previous command before sending your new command, ' +
    'or use the timeout parameter in execute_bash for future commands.]'
  );
}

export function truncationNote(cutChars: number, cutLines: number, keptChars: number): string {
  const lines = cutLines === 1 ? '1 line' : `${cutLines} lines`;
  return `[Output truncated: the first ${cutChars} characters (${lines}) were cut; showing the last ${keptChars} characters.]\n`;
}

export function restartNote(lostJobs: number, reason: 'reconnect' | 'shell_exit'): string {
  const why = reason === 'reconnect' ? 'The sandbox shell was restarted (reconnect)' : 'A new shell was started because the previous one exited';
  const jobs =
    lostJobs === 0
      ? 'background jobs of the previous shell, if any, are gone'
      : `${lostJobs} background job${lostJobs === 1 ? '' : 's'} of the previous shell ${lostJobs === 1 ? 'is' : 'are'} gone`;
  return `[${why}: working directory and exported environment were restored; ${jobs}.]\n`;
}

export interface StatusNoteInput {
  status: ExecuteBashStatus;
  exitCode: number | null;
  /** The key sent with `is_input` (`C-c`), when the command finished after it. */
  key: string | null;
  noOutputTimeoutMs: number;
  hardTimeoutMs: number;
}

/** The bracketed line after the output, as OpenHands writes it. */
export function statusNote({ status, exitCode, key, noOutputTimeoutMs, hardTimeoutMs }: StatusNoteInput): string {
  switch (status) {
    case 'completed':
      return `[The command completed with exit code ${exitCode}.]`;
    case 'interrupted':
      return `[The command completed with exit code ${exitCode}. CTRL+${(key ?? 'C-c').slice(-1).toUpperCase()} was sent.]`;
    case 'still_running':
      return `[The command has no new output after ${seconds(noOutputTimeoutMs)} seconds. ${STILL_RUNNING_HELP}]`;
    case 'timeout':
      return `[The command timed out after ${seconds(hardTimeoutMs)} seconds. ${STILL_RUNNING_HELP}]`;
    case 'shell_restarted':
      return (
        `[The shell exited${exitCode === null ? '' : ` with code ${exitCode}`} before the command finished. ` +
        'The next command starts a new shell in the last working directory with the exported environment; background jobs are gone.]'
      );
    case 'refused':
      return '';
  }
}

import type { ExecuteBashStatus } from '../sandbox.ts';
import type { SavedOutput } from './full-output-store.ts';

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

export interface OmissionNoteInput {
  /** Lines left out between the head and the tail (0 when only overlong lines were cut). */
  omittedLines: number;
  /** 1-based number of the first line left out. */
  firstOmittedLine: number;
  omittedChars: number;
  /** Lines shown cut because they were longer than `maxLineChars`. */
  cutLines: number;
  maxLineChars: number;
  totalLines: number;
  saved: SavedOutput | null;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

function sizeOf(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The line that stands where output was left out (between the head and the tail, as
 * OpenHands marks a clipped observation), or after the output when only overlong lines were
 * cut. It says how much is missing and where the full output is.
 */
export function omissionNote(input: OmissionNoteInput): string {
  const { omittedLines, firstOmittedLine, omittedChars, cutLines, maxLineChars, totalLines, saved } = input;
  const parts: string[] = [];
  if (omittedLines > 0) {
    const last = firstOmittedLine + omittedLines - 1;
    parts.push(`${plural(omittedLines, 'line')} (lines ${firstOmittedLine}-${last} of ${totalLines}, ${omittedChars} characters) left out here`);
  }
  if (cutLines > 0) parts.push(`${plural(cutLines, 'line')} longer than ${maxLineChars} characters shown cut`);
  let where: string;
  if (saved === null) {
    where = 'To search all of it, run the command again with its output redirected to a file (`COMMAND > /tmp/output.txt 2>&1`).';
  } else if ('error' in saved) {
    where = `The full output could not be saved (${saved.error}).`;
  } else {
    const what = saved.isComplete
      ? `The full output (${plural(saved.lines, 'line')}) is saved in ${saved.path}`
      : `The first ${plural(saved.lines, 'line')} of the output (${sizeOf(saved.bytes)}; the rest was too large to keep) are saved in ${saved.path}`;
    const range = omittedLines > 0 ? `${firstOmittedLine},${firstOmittedLine + omittedLines - 1}p` : '1,20p';
    where = `${what}: search it with \`grep -n PATTERN ${saved.path}\` or print lines with \`sed -n '${range}' ${saved.path}\`.`;
  }
  return `[... Output truncated: ${parts.join('; ')}. ${where} ...]`;
}

/** Added when a key was sent but the command still runs: what to do when the shell itself stopped answering. */
export const KEY_DID_NOT_STOP_NOTE =
  '[If the shell itself no longer answers (a program replaced it, or a nested shell or REPL is waiting), ' +
  'send "C-d" with `is_input` set to `true`: that ends the input; when it ends the shell, a new one starts ' +
  'in the same working directory with the exported environment.]';

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

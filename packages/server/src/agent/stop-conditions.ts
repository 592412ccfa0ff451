import type { Event } from '@metisai/sdk/schemas';
import type { RunEnd } from './run-options.ts';

/** Events after the last user message: the current task. */
export function currentTask(events: readonly Event[]): readonly Event[] {
  const last = events.findLastIndex((event) => event.type === 'message' && event.role === 'user');
  return events.slice(last + 1);
}

/** Indexes of events that start an LLM reply: an assistant message or an action not preceded by one of the same reply. */
export function replyStarts(events: readonly Event[]): number[] {
  const starts: number[] = [];
  let previous: Event | undefined;
  events.forEach((event, index) => {
    if (event.type === 'state' || event.type === 'error') return;
    const isReply = (event.type === 'message' && event.role === 'assistant') || event.type === 'action';
    const continues = event.type === 'action' && (previous?.type === 'action' || (previous?.type === 'message' && previous.role === 'assistant'));
    if (isReply && !continues) starts.push(index);
    previous = event;
  });
  return starts;
}

/** The tool output reads as a failure (a non-zero exit code or an `ERROR:` answer). */
export const isErrorObservation = (event: Extract<Event, { type: 'observation' }>): boolean =>
  event.content.startsWith('ERROR') || (event.exit_code !== undefined && event.exit_code !== null && event.exit_code !== 0);

const SAME_STEP_LIMIT = 4;
const SAME_ERROR_LIMIT = 3;

/**
 * Stuck: the same action got the same observation 4 times in a row, or the same call failed 3 times in
 * a row (OpenHands' StuckDetector, reduced to its two commonest cases).
 */
export function isStuck(events: readonly Event[]): boolean {
  const task = currentTask(events);
  const steps = task.flatMap((event) => {
    if (event.type !== 'action') return [];
    const observation = task.find((other) => other.type === 'observation' && other.tool_call_id === event.tool_call_id);
    if (observation?.type !== 'observation') return [];
    return [{ key: `${event.tool}\n${JSON.stringify(event.args)}`, content: observation.content, isError: isErrorObservation(observation) }];
  });
  const repeats = (count: number, sameOutput: boolean) => {
    const tail = steps.slice(-count);
    return tail.length === count && tail.every((step) => step.key === tail[0]!.key && (!sameOutput || step.content === tail[0]!.content));
  };
  return repeats(SAME_STEP_LIMIT, true) || (repeats(SAME_ERROR_LIMIT, false) && steps.slice(-SAME_ERROR_LIMIT).every((step) => step.isError));
}

/** Why a run was aborted: `interrupted` when the server shuts down (an error the user did not ask for), else the user's stop. */
export const STOP_INTERRUPTED = 'interrupted';

export const stopped = (reason: unknown): RunEnd =>
  reason === STOP_INTERRUPTED
    ? {
        state: 'error',
        reason: STOP_INTERRUPTED,
        error: { code: STOP_INTERRUPTED, message: 'The server shut down during the run; send a message to continue.' },
      }
    : { state: 'stopped', reason: 'user_stop' };

export const maxIterationsReached = (limit: number): RunEnd => ({
  state: 'error',
  reason: 'max_iterations',
  error: { code: 'max_iterations', message: `The agent reached its limit of ${limit} iterations without finishing.` },
});

export const stuck = (): RunEnd => ({
  state: 'error',
  reason: 'stuck',
  error: { code: 'stuck', message: 'The agent is stuck in a loop: it repeated the same action with the same result.' },
});

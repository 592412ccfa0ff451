import type { Event } from '@metisai/sdk/schemas';
import { currentTask } from './history.ts';

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

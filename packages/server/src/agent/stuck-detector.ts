import type { Event } from '@metisai/sdk/schemas';
import { currentTask, observationsOf } from './history.ts';

/** The tool output reads as a failure (a non-zero exit code or an `ERROR:` answer). */
export const isErrorObservation = (event: Extract<Event, { type: 'observation' }>): boolean =>
  event.content.startsWith('ERROR') || (event.exit_code !== undefined && event.exit_code !== null && event.exit_code !== 0);

const SAME_STEP_LIMIT = 4;
const SAME_ERROR_LIMIT = 3;
/** A cycle of this many different steps … */
const CYCLE_LENGTHS = [2, 3];
/** … repeated this many times in a row is stuck. */
const CYCLE_REPEATS = 3;

interface Step {
  /** The action: tool and args. */
  key: string;
  /** The action and what it got back. */
  outcome: string;
  isError: boolean;
}

/** True when the last `length × repeats` steps are one cycle of `length` steps repeated, actions and results alike. */
function endsInCycle(steps: readonly Step[], length: number, repeats: number): boolean {
  const tail = steps.slice(-length * repeats);
  return tail.length === length * repeats && tail.every((step, i) => i < length || step.outcome === tail[i - length]!.outcome);
}

/**
 * Stuck, looking at the steps since the last user message (OpenHands' StuckDetector, reduced and extended):
 * - the same action got the same observation 4 times in a row;
 * - the same call failed 3 times in a row (any outputs);
 * - a cycle of 2 or 3 actions whose observations repeat came 3 times over (A B A B A B, A B C A B C A B C), which
 *   OpenHands only catches for two alternating steps, and only after 6 repeats of each.
 */
export function isStuck(events: readonly Event[]): boolean {
  const task = currentTask(events);
  const observations = observationsOf(task);
  const steps = task.flatMap((event): Step[] => {
    if (event.type !== 'action') return [];
    const observation = observations.get(event);
    if (!observation) return [];
    const key = `${event.tool}\n${JSON.stringify(event.args)}`;
    return [{ key, outcome: `${key}\n${observation.content}`, isError: isErrorObservation(observation) }];
  });
  const repeats = (count: number, sameOutput: boolean) => {
    const tail = steps.slice(-count);
    return tail.length === count && tail.every((step) => (sameOutput ? step.outcome === tail[0]!.outcome : step.key === tail[0]!.key));
  };
  if (repeats(SAME_STEP_LIMIT, true)) return true;
  if (repeats(SAME_ERROR_LIMIT, false) && steps.slice(-SAME_ERROR_LIMIT).every((step) => step.isError)) return true;
  return CYCLE_LENGTHS.some((length) => endsInCycle(steps, length, CYCLE_REPEATS));
}

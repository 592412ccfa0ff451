import { assertTurn, type Turn } from './turn.ts';

/** Parses a JSON script (an array of turns), naming the source and the bad turn on failure. */
export const parseScriptJson = (text: string, source = 'script'): Turn[] => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) throw new Error(`${source}: a script must be a JSON array of turns`);
  value.forEach((turn, index) => assertTurn(turn, `${source}[${index}]`));
  return value as Turn[];
};

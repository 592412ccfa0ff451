import type { ChatRequest } from './chat-request.ts';
import { OpenAiHttpError } from './openai-http-error.ts';
import { assertTurn, type Turn } from './turn.ts';

/** Computes the turn for the `index`-th request (0-based, counted since the script was set) from what was sent. */
export type ScriptFunction = (request: ChatRequest, index: number) => Turn | Promise<Turn>;

/** Turns consumed one per request, in order, or a function of the request. */
export type Script = readonly Turn[] | ScriptFunction;

const scriptError = (message: string, code: string): OpenAiHttpError =>
  new OpenAiHttpError(500, `scripted-llm: ${message}`, { type: 'server_error', code, headers: { 'x-should-retry': 'false' } });

/**
 * The turn for one request. Script problems (exhausted, threw, returned something that is not a turn) become
 * 500s in OpenAI's shape with `x-should-retry: false`, so clients fail at once with a message naming the problem.
 */
export const playScript = async (script: Script, request: ChatRequest, index: number): Promise<Turn> => {
  let turn: unknown;
  if (typeof script === 'function') {
    try {
      turn = await script(request, index);
    } catch (error) {
      throw scriptError(`script function threw on request #${index + 1}: ${error instanceof Error ? error.message : String(error)}`, 'script_error');
    }
  } else {
    if (index >= script.length) {
      throw scriptError(
        `script exhausted: this is request #${index + 1} but the script has only ${script.length} turn${script.length === 1 ? '' : 's'}`,
        'script_exhausted',
      );
    }
    turn = script[index];
  }
  try {
    assertTurn(turn, `turn for request #${index + 1}`);
  } catch (error) {
    throw scriptError((error as Error).message, 'invalid_turn');
  }
  return turn;
};

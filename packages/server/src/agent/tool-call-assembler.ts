/** A tool call reassembled from its streamed pieces, as the provider sent it (its id is the provider's). */
export interface AssembledToolCall {
  /** The provider's id ('' when it sent none). Providers may repeat ids; the run gives each action its own. */
  providerId: string;
  name: string;
  /** The arguments as a JSON string (an object the provider sent is encoded). */
  arguments: string;
  /** Opaque per-call fields to send back with the call (Gemini's `extra_content`), or undefined. */
  providerFields: Record<string, unknown> | undefined;
}

/** Per-call fields a provider wants back verbatim on the assistant's `tool_calls` entry. */
const ECHOED_CALL_FIELDS = ['extra_content'] as const;

type Piece = Record<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** True when `text` is a whole JSON value (an object for tool arguments). Cheap rejects before `JSON.parse`. */
function isCompleteJson(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

const sameJson = (a: string, b: string): boolean => {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
};

/** Merges plain objects deeply (later strings and arrays replace earlier ones). */
function mergeFields(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(from)) {
    const current = into[key];
    into[key] = isRecord(current) && isRecord(value) ? mergeFields({ ...current }, value) : value;
  }
  return into;
}

/**
 * Puts tool calls back together from the `delta.tool_calls` pieces of a chat-completion stream, whatever the
 * provider's habits (each one seen in a public report; see `docs/providers.md`):
 * - OpenAI: a first piece with `index`, `id` and `function.name`, then `function.arguments` pieces with the same
 *   `index`;
 * - no `index` at all, the whole call in one piece (Gemini's OpenAI endpoint, Ollama before 0.4.7), or the
 *   arguments spread over index-less pieces (they continue the last call);
 * - parallel calls that all say `index: 0` but carry different ids (vLLM, Ollama 0.20, LiteLLM's Responses bridge);
 *   a call with a name arriving after the previous call's arguments form a whole JSON object starts a new call even
 *   when the ids are equal too (providers that give every call `call_0`);
 * - `function.arguments` sent as a JSON object (llama.cpp's `--tool-args-object`, some proxies): encoded as JSON;
 * - the complete arguments re-sent after their pieces, or sent cumulatively (each piece repeating everything so far):
 *   the repeat replaces what was assembled instead of being appended to it;
 * - metadata-only pieces (Gemini's `extra_content.google.thought_signature`): merged into the call they belong to.
 */
export class ToolCallAssembler {
  readonly #calls: AssembledToolCall[] = [];
  /** The call each `index` last referred to. */
  readonly #byIndex = new Map<number, AssembledToolCall>();

  /** Adds one element of a delta's `tool_calls` array. Anything that is not an object is ignored. */
  push(piece: unknown): void {
    if (!isRecord(piece)) return;
    const index = typeof piece.index === 'number' ? piece.index : undefined;
    const id = typeof piece.id === 'string' && piece.id !== '' ? piece.id : undefined;
    const fn = isRecord(piece.function) ? piece.function : {};
    const name = typeof fn.name === 'string' ? fn.name : '';
    const rawArgs = fn.arguments;
    const args = typeof rawArgs === 'string' ? rawArgs : isRecord(rawArgs) ? JSON.stringify(rawArgs) : '';
    const isObjectArgs = isRecord(rawArgs);

    let call = index === undefined ? this.#last(id) : this.#byIndex.get(index);
    if (!call || this.#startsNewCall(call, id, name, args)) {
      if (call && name && name === call.name && args && isCompleteJson(args) && sameJson(args, call.arguments)) return; // a whole call re-sent
      call = { providerId: id ?? '', name: '', arguments: '', providerFields: undefined };
      this.#calls.push(call);
    }
    if (index !== undefined) this.#byIndex.set(index, call);
    if (id && !call.providerId) call.providerId = id;
    if (name && name !== call.name) call.name = call.arguments === '' && call.name && !name.startsWith(call.name) ? call.name + name : name;
    if (args) call.arguments = isObjectArgs ? args : joinArguments(call.arguments, args);
    this.#mergeFields(call, piece);
  }

  /** The calls in the order they started; pieces that never named a tool nor carried arguments are dropped. */
  calls(): AssembledToolCall[] {
    return this.#calls.filter((call) => call.name !== '' || call.arguments !== '');
  }

  /** The latest call with this id, or the latest call when there is no id (an index-less continuation). */
  #last(id: string | undefined): AssembledToolCall | undefined {
    if (id === undefined) return this.#calls.at(-1);
    return this.#calls.findLast((call) => call.providerId === id) ?? this.#calls.at(-1);
  }

  /** Whether a piece aimed at `call` (by index, id or position) actually begins another call. */
  #startsNewCall(call: AssembledToolCall, id: string | undefined, name: string, args: string): boolean {
    if (id && call.providerId && id !== call.providerId) return true;
    if (!name || !call.name || call.arguments === '') return false;
    if (name !== call.name) return true;
    // Same name again on a call whose arguments are whole: a parallel call with a repeated id (or none), unless it
    // merely repeats the call (checked by the caller).
    return isCompleteJson(call.arguments) && !(args === '' && id === call.providerId);
  }

  #mergeFields(call: AssembledToolCall, piece: Piece): void {
    for (const key of ECHOED_CALL_FIELDS) {
      const value = piece[key];
      if (value === undefined || value === null) continue;
      call.providerFields ??= {};
      const current = call.providerFields[key];
      call.providerFields[key] = isRecord(current) && isRecord(value) ? mergeFields({ ...current }, value) : value;
    }
  }
}

/**
 * Appends an arguments piece, unless it repeats what came before: a piece holding everything so far and more
 * (cumulative streaming) replaces it, and a whole JSON object arriving after a whole JSON object (the final re-send)
 * replaces it too.
 */
function joinArguments(current: string, piece: string): string {
  if (current === '') return piece;
  if (current.length > 1 && piece.length >= current.length && piece.startsWith(current)) return piece;
  const first = piece.trimStart()[0];
  if (first === '{' && isCompleteJson(current) && isCompleteJson(piece)) return piece;
  return current + piece;
}

/** A tool call found in the text of a reply. */
export interface TextToolCall {
  name: string;
  /** The arguments as a JSON string (see `toStoredArgs`). */
  arguments: string;
}

export interface TextToolCalls {
  calls: TextToolCall[];
  /** The text with the markup of the calls found removed (trimmed). */
  content: string;
  /** Which form the calls were written in, for the notice (`<tool_call>`, `[TOOL_CALLS]`, …). */
  format: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text.trim());
  } catch {
    return undefined;
  }
};

/**
 * `{ "name": …, "arguments": {…} }` (Hermes, Qwen), with `parameters` (Llama 3.x) or a JSON-encoded string for
 * arguments, or OpenAI's own `{ "function": { "name", "arguments" } }`: the call, when `name` is an enabled tool.
 */
function toCall(value: unknown, enabled: ReadonlySet<string>, name?: string): TextToolCall | undefined {
  if (!isRecord(value)) return undefined;
  const inner = isRecord(value.function) ? value.function : value;
  const tool = name ?? inner.name;
  if (typeof tool !== 'string' || !enabled.has(tool)) return undefined;
  const args = name !== undefined ? value : (inner.arguments ?? inner.parameters ?? {});
  if (typeof args === 'string') return { name: tool, arguments: args };
  return isRecord(args) ? { name: tool, arguments: JSON.stringify(args) } : undefined;
}

/** Calls in one JSON payload: an object or an array of objects; undefined unless every element is a call. */
function callsIn(json: string, enabled: ReadonlySet<string>): TextToolCall[] | undefined {
  const value = parseJson(json);
  const items = Array.isArray(value) ? value : [value];
  const calls = items.map((item) => toCall(item, enabled));
  return items.length > 0 && calls.every((call) => call !== undefined) ? (calls as TextToolCall[]) : undefined;
}

interface Form {
  format: string;
  /** Global pattern; group 1 is the JSON payload, or (with `named`) group 1 the tool and group 2 its arguments. */
  pattern: RegExp;
  named?: boolean;
}

/**
 * The forms models write calls in when no tool parser turned them into `tool_calls`, most specific first:
 * Hermes/Qwen's `<tool_call>{…}</tool_call>` (also unclosed at the end of the text), Llama 3.1's
 * `<function=name>{…}</function>`, Mistral's `[TOOL_CALLS] [{…}]`, Llama 3.x's `<|python_tag|>{…}`, and a reply
 * that is nothing but a JSON call (bare or in a ```json fence).
 */
const FORMS: Form[] = [
  { format: '<tool_call>', pattern: /<tool_call>\s*([\s\S]*?)\s*(?:<\/tool_call>|$)/g },
  { format: '<function=…>', pattern: /<function=([\w.-]+)>\s*([\s\S]*?)\s*(?:<\/function>|$)/g, named: true },
  { format: '[TOOL_CALLS]', pattern: /\[TOOL_CALLS\]\s*(\[[\s\S]*\]|\{[\s\S]*\})\s*$/g },
  { format: '<|python_tag|>', pattern: /<\|python_tag\|>\s*([\s\S]*?)\s*(?:<\|eom_id\|>|<\|eot_id\|>|$)/g },
  { format: 'a JSON reply', pattern: /^\s*(?:```(?:json)?\s*)?(\{[\s\S]*\}|\[[\s\S]*\])\s*(?:```)?\s*$/g },
];

/**
 * Finds tool calls written into a reply's text for enabled tools. Only a whole form counts: every payload of the
 * first form that matches must parse as a call to an enabled tool, else nothing is taken (a model quoting JSON or
 * explaining the syntax is left alone). Answers undefined when there is none.
 */
export function findTextToolCalls(text: string, enabledTools: readonly string[]): TextToolCalls | undefined {
  if (!text) return undefined;
  const enabled = new Set(enabledTools);
  for (const form of FORMS) {
    const matches = [...text.matchAll(form.pattern)];
    if (matches.length === 0) continue;
    const calls: TextToolCall[] = [];
    for (const match of matches) {
      const found = form.named ? toCallNamed(match[1]!, match[2]!, enabled) : callsIn(match[1]!, enabled);
      if (!found) return undefined;
      calls.push(...found);
    }
    let content = text;
    for (const match of matches) content = content.replace(match[0], '');
    return { calls, content: content.trim(), format: form.format };
  }
  return undefined;
}

function toCallNamed(name: string, json: string, enabled: ReadonlySet<string>): TextToolCall[] | undefined {
  const call = toCall(json.trim() === '' ? {} : parseJson(json), enabled, name);
  return call ? [call] : undefined;
}

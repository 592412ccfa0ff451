/**
 * Lenient readings of single argument values, for what models send in place of the declared type. Each
 * returns the value unchanged when it cannot read it, so the strict schema refuses it with a clear message.
 */

/** `"30"` → 30 (a string holding a finite number, blanks around allowed); anything else unchanged. */
export function numberFromString(value: unknown): unknown {
  if (typeof value !== 'string' || value.trim() === '') return value;
  const number = Number(value);
  return Number.isFinite(number) ? number : value;
}

/** `true` → `'true'`, `false` → `'false'`, `"True"` → `'true'` (OpenHands' string booleans); anything else unchanged. */
export function booleanString(value: unknown): unknown {
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase();
  return value;
}

/** Drops the fields whose value is `null`: models (OpenAI's strict mode among them) send `null` for an omitted optional field. */
export function withoutNulls(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== null));
}

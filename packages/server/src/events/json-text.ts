/**
 * What Postgres stores in `jsonb` (and sends with NOTIFY) must be valid text: it refuses NUL
 * (`\u0000 cannot be converted to text`) and lone UTF-16 surrogates (`invalid input syntax for
 * type json`), which a model's tool-call arguments or a program's output can contain (half an
 * emoji after a careless cut, `printf '\0'`). Text must never end a run with a database error.
 */

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one; and NUL.
const NOT_JSONB_TEXT = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\0/g;

/** `text` with every lone surrogate replaced by U+FFFD and every NUL removed; the same string when it has neither. */
export function toJsonbText(text: string): string {
  if (text.isWellFormed() && !text.includes('\0')) return text;
  return text.replace(NOT_JSONB_TEXT, (match) => (match === '\0' ? '' : '\uFFFD'));
}

/**
 * A copy of a JSON value in which every string (object keys included) went through
 * `toJsonbText`. Values without such strings come back as they are (the same object), so the
 * common case costs one walk and no allocation. Non-JSON values (Dates, class instances) are
 * returned untouched.
 */
export function toJsonbValue<T>(value: T): T {
  return clean(value) as T;
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') return toJsonbText(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = clean(value[i]);
      if (item !== value[i]) {
        copy ??= value.slice();
        copy[i] = item;
      }
    }
    return copy ?? value;
  }
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  let changed = false;
  const entries = Object.entries(value).map(([key, item]) => {
    const cleanKey = toJsonbText(key);
    const cleanItem = clean(item);
    if (cleanKey !== key || cleanItem !== item) changed = true;
    return [cleanKey, cleanItem] as const;
  });
  return changed ? Object.fromEntries(entries) : value;
}

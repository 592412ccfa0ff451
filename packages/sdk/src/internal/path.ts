/** Builds a request path, encoding every interpolated segment: path`/agents/${id}/start`. */
export const path = (strings: TemplateStringsArray, ...values: Array<string | number>): string =>
  strings.reduce((out, part, index) => out + part + (index < values.length ? encodeURIComponent(String(values[index])) : ''), '');

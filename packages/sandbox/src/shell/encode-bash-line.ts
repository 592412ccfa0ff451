/** Longest physical line we send; the tty's canonical mode drops bytes beyond 4095 per line. */
const MAX_LINE_BYTES = 2048;

const encoder = new TextEncoder();

/** One character (code point) as it goes inside bash's `$'…'` quoting. */
function quoteChar(ch: string): string {
  switch (ch) {
    case '\\':
      return '\\\\';
    case "'":
      return "\\'";
    case '\n':
      return '\\n';
    case '\t':
      return '\\t';
  }
  const code = ch.codePointAt(0) ?? 0;
  // Control characters (and DEL) must never reach the tty raw: ^C, ^D, ^U… would act as keys.
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  return ch;
}

/**
 * Turns arbitrary text into ANSI-C quoted words (`$'…'`) joined by backslash-newline line
 * continuations, so that the whole text is one bash word on lines the tty accepts, with no
 * control character on the wire.
 */
export function quoteForBashLine(text: string): string {
  const pieces: string[] = [];
  let current = '';
  let currentBytes = 0;
  for (const ch of text) {
    const quoted = quoteChar(ch);
    const bytes = (ch.codePointAt(0) ?? 0) < 0x80 ? quoted.length : encoder.encode(quoted).length;
    if (currentBytes + bytes > MAX_LINE_BYTES) {
      pieces.push(current);
      current = '';
      currentBytes = 0;
    }
    current += quoted;
    currentBytes += bytes;
  }
  pieces.push(current);
  return pieces.map((piece) => `$'${piece}'`).join('\\\n');
}

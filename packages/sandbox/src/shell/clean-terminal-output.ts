// CSI (colors, cursor moves), OSC (titles, hyperlinks) and two-byte escapes.
const ANSI_ESCAPE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;
// C0 controls other than \t \n \r, and DEL.
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/**
 * What a terminal would leave on screen, as plain text for the model: escape sequences and
 * control characters removed, and each line keeps only what was written after its last
 * carriage return (progress bars collapse to their final state).
 */
export function cleanTerminalOutput(raw: string): string {
  const text = raw.replace(ANSI_ESCAPE, '').replace(CONTROL, '');
  if (!text.includes('\r')) return text;
  return text
    .split('\n')
    .map((line) => {
      const trimmed = line.endsWith('\r') ? line.replace(/\r+$/, '') : line;
      const lastReturn = trimmed.lastIndexOf('\r');
      return lastReturn === -1 ? trimmed : trimmed.slice(lastReturn + 1);
    })
    .join('\n');
}

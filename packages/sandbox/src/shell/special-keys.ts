/**
 * OpenHands sends `C-c`, `C-d`, `C-z` (tmux key names) without Enter. Any `C-<letter>` and a
 * few punctuation keys map to their control character.
 */
const KEY = /^C-([a-zA-Z@[\\\]^_])$/;

/** The control character for a key name like `C-c`, or `null` when `text` is not one. */
export function specialKeyChar(text: string): string | null {
  const match = KEY.exec(text);
  if (!match?.[1]) return null;
  return String.fromCharCode(match[1].toUpperCase().charCodeAt(0) & 0x1f);
}

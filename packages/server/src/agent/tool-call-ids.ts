import { createHash, randomInt } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LENGTH = 9;

/**
 * The id form every server we know accepts: exactly 9 letters and digits. Mistral's templates (served by vLLM, and
 * Mistral's own API) refuse anything else ("Tool call id was … but must be a-z, A-Z, 0-9, with a length of 9");
 * OpenAI, Anthropic, Gemini and the rest take any string.
 */
export const isPortableToolCallId = (id: string): boolean => /^[A-Za-z0-9]{9}$/.test(id);

/** A new random tool-call id (9 alphanumerics, ~53 bits) not in `taken`. */
export function newToolCallId(taken: ReadonlySet<string>): string {
  for (;;) {
    let id = '';
    for (let i = 0; i < LENGTH; i++) id += ALPHABET[randomInt(ALPHABET.length)];
    if (!taken.has(id)) return id;
  }
}

/** A deterministic portable id derived from `seed` (a stored event's id), not in `taken`. */
export function derivedToolCallId(seed: string, taken: ReadonlySet<string>): string {
  for (let salt = 0; ; salt++) {
    const digest = createHash('sha256').update(`${seed}:${salt}`).digest();
    let id = '';
    for (let i = 0; i < LENGTH; i++) id += ALPHABET[digest[i]! % ALPHABET.length];
    if (!taken.has(id)) return id;
  }
}

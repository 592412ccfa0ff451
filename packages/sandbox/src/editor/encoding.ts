import iconv from 'iconv-lite';

/**
 * Encodings of the files the editor opens. UTF-8 first; then a byte-order mark; then legacy
 * encodings (Latin-1/Windows-1252, Shift_JIS, GB18030, Big5, EUC-KR, KOI8-R, …), found by the
 * jschardet detector, decoded and encoded by iconv-lite.
 *
 * The rule for files too small for the detector (`TINY_NON_ASCII_BYTES`): with only a few
 * bytes outside ASCII the detector guesses (it calls "café" Thai and "Größe" Mac Turkish), so
 * such a file is read as Windows-1252 (Latin-1's superset, the most common legacy encoding),
 * unless most of its non-ASCII bytes come in runs of three or more, as Cyrillic, Greek and East
 * Asian words do and Western European text rarely does; then the detector's answer is used.
 * Either way the model is told the encoding was guessed.
 *
 * A file is binary when it has NUL bytes (and no UTF-16 byte-order mark), or when no candidate
 * decodes it cleanly: without U+FFFD, without control characters other than tab, line feed,
 * carriage return, form feed, vertical tab and escape, and so that encoding the text again
 * gives back exactly the same bytes (which is what lets edits leave every other byte alone).
 */

/** Fewer bytes outside ASCII than this and the detector only guesses. */
export const TINY_NON_ASCII_BYTES = 16;

const FALLBACK = 'windows-1252';

export interface FileEncoding {
  /** The encoding's name (as iconv-lite knows it): `utf-8`, `utf-16le`, `windows-1252`, `shift_jis`, … */
  name: string;
  /** The byte-order mark the file starts with, kept on every write (empty when none). */
  bom: Uint8Array;
  /** `true` when the name is the tiny-file rule's guess rather than the detector's finding. */
  isGuess: boolean;
}

export type DecodeResult = { text: string; encoding: FileEncoding } | { binary: string };

const NO_BOM = new Uint8Array(0);
export const UTF8: FileEncoding = { name: 'utf-8', bom: NO_BOM, isGuess: false };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// C0 controls other than \t \n \v \f \r and ESC; DEL; C1 controls. U+FFFD marks bytes the encoding does not define.
const NOT_TEXT = /[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f\uFFFD]/;

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;

const BOMS: Array<{ bytes: number[]; name: string }> = [
  { bytes: [0xef, 0xbb, 0xbf], name: 'utf-8' },
  { bytes: [0xff, 0xfe], name: 'utf-16le' },
  { bytes: [0xfe, 0xff], name: 'utf-16be' },
];

/** Whether `name` is UTF-8 without a BOM (the files the editor writes by default). */
export const isPlainUtf8 = (encoding: FileEncoding) => encoding.name === 'utf-8' && encoding.bom.byteLength === 0;

/** How the encoding is named to the model: "windows-1252", "UTF-8 with BOM", "shift_jis, guessed from little text". */
export function describeEncoding(encoding: FileEncoding): string {
  if (encoding.name === 'utf-8') return encoding.bom.byteLength > 0 ? 'UTF-8 with BOM' : 'UTF-8';
  const name = encoding.name.startsWith('utf-16') ? `${encoding.name.toUpperCase()} with BOM` : encoding.name;
  return encoding.isGuess ? `${name}, guessed: the file has too little non-ASCII text to detect its encoding` : name;
}

function tryDecode(bytes: Uint8Array, name: string): string | null {
  if (!iconv.encodingExists(name)) return null;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = iconv.decode(buffer, name, { stripBOM: false });
  if (NOT_TEXT.test(text)) return null;
  return sameBytes(iconv.encode(text, name, { addBOM: false }), buffer) ? text : null;
}

/** Non-ASCII bytes, and how many of them stand in runs of three or more. */
function nonAsciiRuns(bytes: Uint8Array): { count: number; inRuns: number } {
  let count = 0;
  let inRuns = 0;
  let run = 0;
  const close = () => {
    if (run >= 3) inRuns += run;
    run = 0;
  };
  for (const byte of bytes) {
    if (byte >= 0x80) {
      count++;
      run++;
    } else {
      close();
    }
  }
  close();
  return { count, inRuns };
}

/** The legacy encodings to try, best first (see the module comment). */
async function legacyCandidates(bytes: Uint8Array): Promise<Array<{ name: string; isGuess: boolean }>> {
  // Loaded on first use: importing the detector takes ~65 ms, and most files are UTF-8.
  const { default: jschardet } = await import('jschardet');
  const detected = jschardet.detect(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const name = detected.encoding?.toLowerCase() ?? null;
  const { count, inRuns } = nonAsciiRuns(bytes);
  if (count < TINY_NON_ASCII_BYTES) {
    const trustDetector = name !== null && inRuns > 0 && inRuns * 2 >= count;
    return trustDetector
      ? [
          { name, isGuess: true },
          { name: FALLBACK, isGuess: true },
        ]
      : [{ name: FALLBACK, isGuess: true }];
  }
  return name
    ? [
        { name, isGuess: false },
        { name: FALLBACK, isGuess: true },
      ]
    : [{ name: FALLBACK, isGuess: true }];
}

/** The file's text (without its BOM) and encoding, or why it is binary. */
export async function decodeFile(bytes: Uint8Array): Promise<DecodeResult> {
  for (const bom of BOMS) {
    if (bom.bytes.length <= bytes.byteLength && bom.bytes.every((byte, i) => bytes[i] === byte)) {
      const body = bytes.subarray(bom.bytes.length);
      const text = bom.name === 'utf-8' ? decodeUtf8(body) : tryDecode(body, bom.name);
      if (text === null || text.includes('\0'))
        return { binary: `it starts with a ${bom.name.toUpperCase()} byte-order mark but is not valid ${bom.name.toUpperCase()}` };
      return { text, encoding: { name: bom.name, bom: bytes.slice(0, bom.bytes.length), isGuess: false } };
    }
  }
  if (bytes.includes(0)) return { binary: 'it contains NUL bytes' };
  const text = decodeUtf8(bytes);
  if (text !== null) return { text, encoding: UTF8 };
  for (const candidate of await legacyCandidates(bytes)) {
    const decoded = tryDecode(bytes, candidate.name);
    if (decoded !== null) return { text: decoded, encoding: { name: candidate.name, bom: NO_BOM, isGuess: candidate.isGuess } };
  }
  return { binary: 'it is neither UTF-8 nor text in a legacy encoding the editor recognises' };
}

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * `text` in `encoding`, BOM first. Throws `UnrepresentableError` listing the characters the
 * encoding has no bytes for (iconv-lite would write `?` for them).
 */
export function encodeFile(text: string, encoding: FileEncoding): Uint8Array {
  const body = encoding.name === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, encoding.name, { addBOM: false });
  if (encoding.name !== 'utf-8' && iconv.decode(body, encoding.name, { stripBOM: false }) !== text) {
    throw new UnrepresentableError(encoding, unrepresentable(text, encoding.name));
  }
  return encoding.bom.byteLength === 0 ? body : Buffer.concat([encoding.bom, body]);
}

/** Characters of `text` (each once, in order) that `name` cannot encode. */
function unrepresentable(text: string, name: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const char of text) {
    if (seen.has(char)) continue;
    seen.add(char);
    if (iconv.decode(iconv.encode(char, name, { addBOM: false }), name, { stripBOM: false }) !== char) found.push(char);
  }
  return found;
}

export class UnrepresentableError extends Error {
  override name = 'UnrepresentableError';
  readonly encoding: FileEncoding;
  readonly characters: string[];

  constructor(encoding: FileEncoding, characters: string[]) {
    super(`${describeEncoding(encoding)} cannot represent ${characters.map((c) => JSON.stringify(c)).join(', ')}`);
    this.encoding = encoding;
    this.characters = characters;
  }
}

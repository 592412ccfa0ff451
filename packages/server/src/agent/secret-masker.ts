export const SECRET_PLACEHOLDER = '<secret_hidden>';

/**
 * Replaces secret values with `<secret_hidden>`. Longer values are replaced first, so a secret that
 * contains another is hidden whole. Empty values are ignored (they would match everywhere).
 */
export class SecretMasker {
  private readonly values: string[];

  constructor(secrets: Record<string, string> = {}) {
    this.values = [...new Set(Object.values(secrets).filter((value) => value.length > 0))].sort((a, b) => b.length - a.length);
  }

  get isEmpty(): boolean {
    return this.values.length === 0;
  }

  mask(text: string): string {
    let out = text;
    for (const value of this.values) out = out.split(value).join(SECRET_PLACEHOLDER);
    return out;
  }

  /** Masks every string inside plain objects and arrays (event payloads, tool arguments). */
  maskDeep<T>(value: T): T {
    if (this.isEmpty) return value;
    if (typeof value === 'string') return this.mask(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.maskDeep(item)) as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.maskDeep(item)])) as T;
    }
    return value;
  }

  /** Length of the longest end of `text` that could be the start of a secret. */
  holdBackLength(text: string): number {
    let longest = 0;
    for (const value of this.values) {
      for (let n = Math.min(value.length - 1, text.length); n > longest; n--) {
        if (text.endsWith(value.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }

  /** A masker for one stream of chunks: a secret split across chunks is still hidden. */
  stream(): StreamMasker {
    return new StreamMasker(this);
  }
}

/** Holds back the end of the text that could be the start of a secret until the next chunk decides. */
export class StreamMasker {
  private pending = '';
  private readonly masker: SecretMasker;

  constructor(masker: SecretMasker) {
    this.masker = masker;
  }

  /** The masked text that is safe to publish now (may be empty). */
  push(chunk: string): string {
    if (this.masker.isEmpty) return chunk;
    const masked = this.masker.mask(this.pending + chunk);
    const hold = this.masker.holdBackLength(masked);
    this.pending = masked.slice(masked.length - hold);
    return masked.slice(0, masked.length - hold);
  }

  /** Whatever is still held back, masked. */
  flush(): string {
    const rest = this.masker.mask(this.pending);
    this.pending = '';
    return rest;
  }
}

/**
 * Splits text into token-sized pieces (at most four non-space characters, with the whitespace before them),
 * so streams carry several deltas the way real models send them. Joining the pieces gives the text back.
 */
export const splitIntoDeltas = (text: string): string[] => text.match(/\s*\S{1,4}|\s+/g) ?? [];

/** The page's `localStorage`, or `undefined` where it is blocked (third-party storage off, sandboxed frames). */
export const storage = (): Storage | undefined => {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
};

/** Where the console keeps its access token: this tab's `sessionStorage` (see docs/console.md for why). */
const TOKEN_KEY = 'metis-console:token';

const storage = (): Storage | undefined => {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
};

/** The `exp` claim of a JWT in milliseconds, read without verifying it (to warn before it ends); undefined if none. */
export function tokenExpiryMs(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The signed-in session's bearer token, in `sessionStorage`: it survives reloads of this tab, is never sent by the
 * browser on its own (no cookie, so no CSRF surface), and is gone when the tab closes. A tab opened without an opener
 * starts signed out.
 */
export const authStore = {
  get token(): string | undefined {
    return storage()?.getItem(TOKEN_KEY) ?? undefined;
  },
  set(token: string): void {
    storage()?.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    storage()?.removeItem(TOKEN_KEY);
  },
};

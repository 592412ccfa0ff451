import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed download URL lets its holder fetch, for whom, until when. */
export interface DownloadGrant {
  userId: string;
  conversationId: string;
  /** Workspace path (relative to the root; `''` for the root). */
  path: string;
  /** The `.tar.gz` of the directory at `path`, instead of one file. */
  isArchive: boolean;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** Longest life of a download URL. */
export const DOWNLOAD_URL_TTL_SECONDS = 300;

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest();

/**
 * A compact token for a signed download URL: `base64url(JSON of the grant).base64url(HMAC-SHA256)`, the MAC over the
 * first part with the server's download key. Not encrypted: it names the path, which the holder asked for anyway.
 */
export function signDownload(key: Buffer, grant: DownloadGrant): string {
  const payload = Buffer.from(
    JSON.stringify({ u: grant.userId, c: grant.conversationId, p: grant.path, a: grant.isArchive ? 1 : 0, e: grant.expiresAt }),
  ).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/**
 * The grant of a token whose MAC checks out (compared in constant time) and that has not expired at `nowSeconds`;
 * `null` for anything else (malformed, forged, expired, or living longer than the longest life a URL gets).
 */
export function verifyDownload(key: Buffer, token: string, nowSeconds = Date.now() / 1000): DownloadGrant | null {
  const [payload, signature, ...rest] = token.split('.');
  if (!payload || !signature || rest.length > 0) return null;
  const expected = mac(key, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let fields: { u?: unknown; c?: unknown; p?: unknown; a?: unknown; e?: unknown };
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof fields;
  } catch {
    return null;
  }
  const { u, c, p, a, e } = fields;
  if (typeof u !== 'string' || typeof c !== 'string' || typeof p !== 'string' || typeof e !== 'number') return null;
  if (e <= nowSeconds || e > nowSeconds + DOWNLOAD_URL_TTL_SECONDS + 5) return null;
  return { userId: u, conversationId: c, path: p, isArchive: a === 1, expiresAt: e };
}

import { createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Keys derived from SECRET_KEY with HKDF, one per purpose, so no key serves two jobs. */
export interface Keys {
  /** A KeyObject: jsonwebtoken would otherwise build one from the bytes on every verification. */
  jwtSigning: KeyObject;
  /** Signs visitor tokens of embedded agents: a key of their own, so no visitor token can pass for a session's. */
  embedSigning: KeyObject;
  secretEncryption: Buffer;
  /** HMAC key of signed download URLs. */
  downloadSigning: Buffer;
}

const derive = (secretKey: string, info: string) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), Buffer.from('metisai'), Buffer.from(info), 32));

export const deriveKeys = (secretKey: string): Keys => ({
  jwtSigning: createSecretKey(derive(secretKey, 'metisai/jwt-signing/v1')),
  embedSigning: createSecretKey(derive(secretKey, 'metisai/embed-signing/v1')),
  secretEncryption: derive(secretKey, 'metisai/secret-encryption/v1'),
  downloadSigning: derive(secretKey, 'metisai/download-urls/v1'),
});

/**
 * The development SECRET_KEY: generated once and kept in the data dir (mode 0600),
 * so tokens and encrypted secrets survive restarts.
 */
export async function loadOrCreateSecretKey(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'secret-key');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return (await readFile(file, 'utf8')).trim();
}

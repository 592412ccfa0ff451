import { posix } from 'node:path';
import { SymlinkLoopError } from '../errors.ts';

/** What `resolveRealPath` needs to know of one path: missing, a symlink (and where it points), or anything else. */
export type LinkProbe = (path: string) => Promise<{ isSymlink: false } | { isSymlink: true; target: string } | null>;

/** As Linux: a path resolution that meets more links than this fails with ELOOP. */
const MAX_LINKS = 40;

/**
 * `path` (absolute) with every symlink resolved in every component, one component at a time, like `realpath -m`: once a
 * component does not exist, the rest is kept as written (normalised). A relative link target is resolved from the
 * link's directory, an absolute one from the root. Throws `SymlinkLoopError` after 40 links (a loop).
 */
export async function resolveRealPath(path: string, probe: LinkProbe): Promise<string> {
  const pending = posix
    .normalize(path)
    .split('/')
    .filter((part) => part !== '' && part !== '.');
  let resolved = '/';
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved = posix.dirname(resolved);
      continue;
    }
    const next = posix.join(resolved, part);
    const found = await probe(next);
    if (!found) return posix.join(next, ...pending);
    if (!found.isSymlink) {
      resolved = next;
      continue;
    }
    if (++links > MAX_LINKS) throw new SymlinkLoopError(path);
    pending.unshift(...found.target.split('/').filter((item) => item !== '' && item !== '.'));
    if (found.target.startsWith('/')) resolved = '/';
  }
  return resolved;
}

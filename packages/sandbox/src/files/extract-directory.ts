import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, realpath, rm, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { SandboxError } from '../errors.ts';

const isInside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/**
 * Writes a tar archive into `hostDir`, dropping the first `strip` path components of every
 * entry. Nothing lands outside `hostDir`: `..` entries are refused, links pointing outside are
 * skipped, and every parent is checked with `realpath` so a link in the archive cannot redirect
 * a later entry.
 */
export async function extractToDirectory(source: NodeJS.ReadableStream, hostDir: string, strip = 0): Promise<void> {
  await mkdir(hostDir, { recursive: true });
  const root = await realpath(hostDir);
  const input = source instanceof Readable ? source : Readable.from(source as AsyncIterable<Buffer>);
  const parser = extract();
  input.pipe(parser);
  for await (const entry of parser) {
    const header = entry.header;
    const parts = header.name.split('/').filter((part) => part !== '' && part !== '.');
    const kept = parts.slice(strip);
    if (kept.some((part) => part === '..')) throw new SandboxError(`Refusing archive entry outside the target: ${header.name}`);
    if (kept.length === 0) {
      entry.resume();
      continue;
    }
    const target = join(root, ...kept);
    const parent = await realpath(dirname(target)).catch(async () => {
      await mkdir(dirname(target), { recursive: true });
      return realpath(dirname(target));
    });
    if (!isInside(root, parent)) throw new SandboxError(`Refusing archive entry outside the target: ${header.name}`);
    const mode = (header.mode ?? 0o644) & 0o777;
    if (header.type === 'directory') {
      await mkdir(target, { recursive: true });
      await chmod(target, mode | 0o700);
      entry.resume();
    } else if (header.type === 'file' || header.type === 'contiguous-file') {
      const existing = await lstat(target).catch(() => null);
      if (existing && !existing.isFile()) await rm(target, { recursive: true, force: true });
      await pipeline(entry, createWriteStream(target, { mode }));
      await chmod(target, mode);
    } else if (header.type === 'symlink' && header.linkname) {
      const pointsTo = resolve(dirname(target), header.linkname);
      if (isInside(root, pointsTo)) {
        await rm(target, { recursive: true, force: true });
        await symlink(header.linkname, target);
      }
      entry.resume();
    } else {
      entry.resume();
    }
  }
}

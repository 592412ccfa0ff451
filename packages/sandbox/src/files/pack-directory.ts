import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack, type Pack } from 'tar-stream';
import type { TarOwner } from './tar-archive.ts';

async function addTree(archive: Pack, hostDir: string, prefix: string, owner: TarOwner): Promise<void> {
  const entries = await readdir(hostDir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const hostPath = join(hostDir, entry.name);
    const name = prefix + entry.name;
    const info = await lstat(hostPath);
    const base = { uid: owner.uid, gid: owner.gid, mode: info.mode & 0o7777, mtime: info.mtime };
    if (info.isDirectory()) {
      await new Promise<void>((resolve, reject) => archive.entry({ ...base, name: `${name}/`, type: 'directory' }, (err) => (err ? reject(err) : resolve())));
      await addTree(archive, hostPath, `${name}/`, owner);
    } else if (info.isSymbolicLink()) {
      const linkname = await readlink(hostPath);
      await new Promise<void>((resolve, reject) => archive.entry({ ...base, name, type: 'symlink', linkname }, (err) => (err ? reject(err) : resolve())));
    } else if (info.isFile()) {
      const done = new Promise<void>((resolve, reject) => {
        const sink = archive.entry({ ...base, name, type: 'file', size: info.size }, (err) => (err ? reject(err) : resolve()));
        pipeline(createReadStream(hostPath), sink).catch(reject);
      });
      await done;
    }
    // Sockets, fifos and devices are not copied.
  }
}

async function addRoot(archive: Pack, hostDir: string, prefix: string | undefined, owner: TarOwner): Promise<void> {
  if (prefix === undefined) return addTree(archive, hostDir, '', owner);
  const info = await lstat(hostDir);
  const header = { uid: owner.uid, gid: owner.gid, mode: info.mode & 0o7777, mtime: info.mtime, name: `${prefix}/`, type: 'directory' as const };
  await new Promise<void>((resolve, reject) => archive.entry(header, (err) => (err ? reject(err) : resolve())));
  await addTree(archive, hostDir, `${prefix}/`, owner);
}

/**
 * Streams the contents of `hostDir` as a tar archive whose entries belong to `owner`, produced as the consumer reads
 * (one file at a time). Symlinks are archived as links. Without `prefix` the entries are the directory's contents;
 * with it, the directory itself comes first as `<prefix>/` and every entry is under it (as the Docker archive API
 * answers for a directory).
 */
export function packDirectory(hostDir: string, owner: TarOwner, options: { prefix?: string } = {}): Pack {
  const archive = pack();
  addRoot(archive, hostDir, options.prefix, owner).then(
    () => archive.finalize(),
    (err: Error) => archive.destroy(err),
  );
  return archive;
}

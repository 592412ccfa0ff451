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

/**
 * Streams the contents of `hostDir` (not the directory itself) as a tar archive whose
 * entries belong to `owner`. Symlinks are archived as links.
 */
export function packDirectory(hostDir: string, owner: TarOwner): Pack {
  const archive = pack();
  addTree(archive, hostDir, '', owner).then(
    () => archive.finalize(),
    (err: Error) => archive.destroy(err),
  );
  return archive;
}

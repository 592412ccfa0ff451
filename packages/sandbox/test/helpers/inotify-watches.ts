import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The inodes of every inotify watch this process holds (`fdinfo` gives `wd` and `ino` in hexadecimal). */
export function watchedInodes(): Set<number> {
  const inodes = new Set<number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== 'anon_inode:inotify') continue;
    for (const line of readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n')) {
      const ino = /^inotify wd:[0-9a-f]+ ino:([0-9a-f]+)/.exec(line)?.[1];
      if (ino) inodes.add(Number.parseInt(ino, 16));
    }
  }
  return inodes;
}

/**
 * The file API every driver must offer beyond whole files: metadata (`lstat`, `list`, `walk`), symlink resolution,
 * streamed reads and writes, moves, directories, removal and archives. Run against Docker and the local driver
 * alike; each test works in its own directory under `workdir`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { expect, test } from 'vitest';
import { FileExistsError, IsDirectoryError, NotDirectoryError, type Sandbox, SandboxFileNotFoundError, type TreeEntry } from '../../src/index.ts';
import { outputOf } from '../helpers/run-command.ts';

const MIB = 1024 * 1024;

/** `count` chunks of 64 KiB of pseudo-random bytes, the same for the same seed. */
async function* chunks(count: number, seed = 1): AsyncGenerator<Uint8Array> {
  let state = seed;
  for (let i = 0; i < count; i++) {
    const chunk = new Uint8Array(64 * 1024);
    for (let j = 0; j < chunk.length; j += 4) {
      state = (state * 1103515245 + 12345) >>> 0;
      chunk[j] = state & 0xff;
      chunk[j + 1] = (state >>> 8) & 0xff;
      chunk[j + 2] = (state >>> 16) & 0xff;
      chunk[j + 3] = (state >>> 24) & 0xff;
    }
    yield chunk;
  }
}

async function sha256Of(source: AsyncIterable<Uint8Array>): Promise<{ hash: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { hash: hash.digest('hex'), bytes };
}

/** A source that yields `good` chunks, then fails. */
async function* failingAfter(good: number): AsyncGenerator<Uint8Array> {
  yield* chunks(good);
  throw new Error('the client went away');
}

export function filesSuite(getSandbox: () => Sandbox): void {
  const sandbox = () => getSandbox();
  const scratch = () => posix.join(sandbox().workdir, `files-${randomUUID().slice(0, 8)}`);

  test('writeFileStream streams a large file in, readFileStream streams it out unchanged; the sandbox user owns it', async () => {
    const box = sandbox();
    const dir = scratch();
    const path = `${dir}/deep/big.bin`;
    const expected = await sha256Of(chunks(80));
    const written = await box.files.writeFileStream(path, chunks(80), { sizeBytes: 80 * 64 * 1024 });
    expect(written).toMatchObject({ name: 'big.bin', kind: 'file', sizeBytes: 5 * MIB, mode: 0o644 });
    expect(await sha256Of(await box.files.readFileStream(path))).toEqual(expected);
    expect(await outputOf(box, `[ "$(stat -c %u ${path})" = "$(id -u)" ] && echo mine`)).toBe('mine');
    expect(await outputOf(box, `ls -A ${dir}/deep`)).toBe('big.bin');
  });

  test('writeFileStream replaces a file (keeping its mode) and writes through a symlink to its target', async () => {
    const box = sandbox();
    const dir = scratch();
    await outputOf(box, `mkdir -p ${dir} && printf old > ${dir}/run.sh && chmod 755 ${dir}/run.sh && ln -s run.sh ${dir}/link`);
    await box.files.writeFileStream(`${dir}/link`, Readable.from([Buffer.from('#!/bin/sh\necho new\n')]), { sizeBytes: 19 });
    expect(await outputOf(box, `${dir}/run.sh; readlink ${dir}/link; stat -c %a ${dir}/run.sh`)).toBe('new\nrun.sh\n755');
    await expect(box.files.writeFileStream(dir, Readable.from([Buffer.from('x')]), { sizeBytes: 1 })).rejects.toBeInstanceOf(IsDirectoryError);
  });

  test('a failed, short or overlong upload leaves nothing behind and the old content intact', async () => {
    const box = sandbox();
    const dir = scratch();
    await box.files.writeFile(`${dir}/kept.txt`, 'before');
    await expect(box.files.writeFileStream(`${dir}/kept.txt`, failingAfter(3), { sizeBytes: 10 * 64 * 1024 })).rejects.toThrow();
    await expect(box.files.writeFileStream(`${dir}/kept.txt`, chunks(2), { sizeBytes: 3 * 64 * 1024 })).rejects.toThrow();
    await expect(box.files.writeFileStream(`${dir}/kept.txt`, chunks(3), { sizeBytes: 64 * 1024 })).rejects.toThrow();
    await expect(box.files.writeFileStream(`${dir}/new.txt`, failingAfter(1), { sizeBytes: 4 * 64 * 1024 })).rejects.toThrow();
    expect(new TextDecoder().decode(await box.files.readFile(`${dir}/kept.txt`))).toBe('before');
    expect(await outputOf(box, `ls -A ${dir}`)).toBe('kept.txt');
  });

  test('readFileStream: missing paths and directories are refused before any byte', async () => {
    const box = sandbox();
    const dir = scratch();
    await box.files.mkdir(dir);
    await expect(box.files.readFileStream(`${dir}/nothing`)).rejects.toBeInstanceOf(SandboxFileNotFoundError);
    await expect(box.files.readFileStream(dir)).rejects.toBeInstanceOf(IsDirectoryError);
  });

  test('lstat and list report kind, size, mtime and mode; symlinks as themselves; hidden entries included', async () => {
    const box = sandbox();
    const dir = scratch();
    await outputOf(
      box,
      `mkdir -p ${dir}/sub && printf hello > ${dir}/a.txt && printf x > ${dir}/.hidden && chmod 600 ${dir}/.hidden && ln -s a.txt ${dir}/link && ln -s /nowhere ${dir}/dangling && mkfifo ${dir}/pipe && touch -d '2024-01-02 03:04:05.250 UTC' ${dir}/a.txt`,
    );
    const info = await box.files.lstat(`${dir}/a.txt`);
    expect(info).toMatchObject({ name: 'a.txt', kind: 'file', sizeBytes: 5, mode: 0o644 });
    expect(Math.floor(info!.mtimeMs / 1000)).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000);
    expect(await box.files.lstat(`${dir}/link`)).toMatchObject({ kind: 'symlink' });
    expect(await box.files.lstat(`${dir}/sub`)).toMatchObject({ kind: 'directory' });
    expect(await box.files.lstat(`${dir}/missing`)).toBeNull();

    const listed = (await box.files.list(dir)).sort((x, y) => x.name.localeCompare(y.name));
    expect(listed.map(({ name, kind }) => [name, kind])).toEqual([
      ['.hidden', 'file'],
      ['a.txt', 'file'],
      ['dangling', 'symlink'],
      ['link', 'symlink'],
      ['pipe', 'other'],
      ['sub', 'directory'],
    ]);
    const a = listed.find((entry) => entry.name === 'a.txt')!;
    expect(a).toMatchObject({ sizeBytes: 5, mode: 0o644, mtimeMs: Date.UTC(2024, 0, 2, 3, 4, 5, 250) });
    expect(listed.find((entry) => entry.name === '.hidden')).toMatchObject({ mode: 0o600 });
    await expect(box.files.list(`${dir}/missing`)).rejects.toBeInstanceOf(SandboxFileNotFoundError);
    await expect(box.files.list(`${dir}/a.txt`)).rejects.toBeInstanceOf(NotDirectoryError);
  });

  test('walk lists a tree with relative paths, does not follow links and prunes the named directories', async () => {
    const box = sandbox();
    const dir = scratch();
    await outputOf(
      box,
      `mkdir -p ${dir}/src/lib ${dir}/.git/objects ${dir}/vendor/.git && touch ${dir}/src/lib/x.ts ${dir}/.git/HEAD ${dir}/vendor/.git/config ${dir}/README && ln -s src ${dir}/alias`,
    );
    const paths = (await box.files.walk(dir, { prune: ['.git'] })).map((entry) => `${entry.path}:${entry.kind}`).sort();
    expect(paths).toEqual(['README:file', 'alias:symlink', 'src/lib/x.ts:file', 'src/lib:directory', 'src:directory', 'vendor:directory']);
    expect((await box.files.walk(dir)).some((entry) => entry.path === '.git/HEAD')).toBe(true);
    // A symlink carries its target as stored (not resolved); other entries carry none.
    const walked = await box.files.walk(dir, { prune: ['.git'] });
    expect(walked.find((entry) => entry.path === 'alias')?.linkTarget).toBe('src');
    expect(walked.find((entry) => entry.path === 'README')).not.toHaveProperty('linkTarget');
    expect((await box.files.list(dir)).find((entry) => entry.name === 'alias')).not.toHaveProperty('linkTarget');
    // Inode numbers: a file replaced by another (same size and mtime) is told apart; list() has none.
    const inodeOf = async (name: string) => (await box.files.walk(dir)).find((entry) => entry.path === name)?.inode;
    const before = await inodeOf('README');
    expect(typeof before).toBe('number');
    await outputOf(box, `cp -p ${dir}/README ${dir}/R2 && mv ${dir}/R2 ${dir}/README`);
    expect(await inodeOf('README')).not.toBe(before);
    expect((await box.files.list(dir)).find((entry) => entry.name === 'README')).not.toHaveProperty('inode');
  });

  test('scan lists the whole tree with the clock, or what changed since an instant and the entries of directories that changed', async () => {
    const box = sandbox();
    const dir = scratch();
    await outputOf(box, `mkdir -p ${dir}/a/b ${dir}/c && printf 1 > ${dir}/a/b/f && printf 2 > ${dir}/c/g && printf 3 > ${dir}/top && ln -s top ${dir}/link`);
    const whole = await box.files.scan(dir);
    expect(whole.entries.map((entry) => `${entry.path}:${entry.kind}`).sort()).toEqual(
      (await box.files.walk(dir)).map((entry) => `${entry.path}:${entry.kind}`).sort(),
    );
    expect(whole.listedDirectories.sort()).toEqual(['', 'a', 'a/b', 'c']);
    expect(whole.entries.find((entry) => entry.path === 'link')?.linkTarget).toBe('top');
    // The sandbox's clock (the host's for both drivers): within a minute of ours.
    expect(Math.abs(whole.clockMs - Date.now())).toBeLessThan(60_000);
    const top = whole.entries.find((entry) => entry.path === 'top')!;
    expect(top.ctimeMs).toBeGreaterThan(whole.clockMs - 60_000);
    expect(top.ctimeMs).toBeLessThanOrEqual(whole.clockMs);

    // Everything older than the instant asked for: a rewrite keeping the old mtime, a deletion, a new file.
    await outputOf(box, `sleep 0.1 && printf 9 > ${dir}/a/b/f && touch -d @978307200 ${dir}/a/b/f && rm ${dir}/c/g && touch ${dir}/new`);
    const changed = await box.files.scan(dir, { changedAfterMs: whole.clockMs + 50 });
    const paths = changed.entries.map((entry) => entry.path).sort();
    // a/b/f (ctime moved although its mtime went back), c and the root (an entry removed or made in them) with their
    // entries (the root's: a, c, link, new, top; c's: none left); a and a/b themselves did not change.
    expect(paths).toEqual(['a', 'a/b/f', 'c', 'link', 'new', 'top']);
    expect(changed.listedDirectories.sort()).toEqual(['', 'c']);
    expect(changed.entries.find((entry) => entry.path === 'a/b/f')).toMatchObject({ sizeBytes: 1, mtimeMs: 978_307_200_000 });
    expect(changed.clockMs).toBeGreaterThan(whole.clockMs);
    await expect(box.files.scan(`${dir}/missing`)).rejects.toBeInstanceOf(SandboxFileNotFoundError);
    await expect(box.files.scan(`${dir}/top`)).rejects.toBeInstanceOf(NotDirectoryError);
  });

  test('watch lists the tree as scan does, then reports only what changed, as the sandbox sees it', async () => {
    const box = sandbox();
    const dir = scratch();
    await outputOf(box, `mkdir -p ${dir}/a/b ${dir}/c && printf 1 > ${dir}/a/b/f && printf 2 > ${dir}/c/g && printf 3 > ${dir}/top && ln -s top ${dir}/link`);
    // Both drivers can here: the local one always, Docker because these tests run as root on the engine's host.
    const started = await box.files.watch!(dir);
    expect(started).not.toBeNull();
    const { watch, listing } = started!;
    try {
      const stat = (entry: TreeEntry) =>
        `${entry.path} ${entry.kind} ${entry.sizeBytes} ${entry.mtimeMs} ${entry.ctimeMs} ${entry.mode} ${entry.inode} ${entry.linkTarget ?? ''}`;
      expect(listing.entries.map(stat).sort()).toEqual((await box.files.scan(dir)).entries.map(stat).sort());
      expect(listing.listedDirectories.sort()).toEqual(['', 'a', 'a/b', 'c']);
      expect(await watch.changes()).toMatchObject({ entries: [], listedDirectories: [], removedPaths: [] });

      await outputOf(
        box,
        `printf 9 > ${dir}/a/b/f && rm ${dir}/c/g && mkdir -p ${dir}/n/m && printf x > ${dir}/n/m/x && rm -rf ${dir}/link && mkdir ${dir}/link`,
      );
      const changes = (await watch.changes())!;
      const paths = changes.entries.map((entry) => entry.path);
      expect(paths).toEqual(expect.arrayContaining(['a/b/f', 'n', 'n/m', 'n/m/x', 'link']));
      expect(paths).not.toContain('top');
      expect(changes.removedPaths).toEqual(['c/g']);
      expect(changes.listedDirectories.sort()).toEqual(['link', 'n', 'n/m']);
      expect(changes.entries.find((entry) => entry.path === 'a/b/f')).toMatchObject({ kind: 'file', sizeBytes: 1 });
      // What each entry is, is what the sandbox sees (a scan now), to the last bit.
      const now = new Map((await box.files.scan(dir)).entries.map((entry) => [entry.path, stat(entry)]));
      for (const entry of changes.entries) expect(stat(entry)).toBe(now.get(entry.path));
    } finally {
      watch.close();
    }
    expect(await watch.changes()).toBeNull();
    // A tree with more directories than allowed is not watched.
    expect(await box.files.watch!(dir, { maxDirectories: 2 })).toBeNull();
    await expect(box.files.watch!(`${dir}/missing`)).rejects.toBeInstanceOf(SandboxFileNotFoundError);
    await expect(box.files.watch!(`${dir}/top`)).rejects.toBeInstanceOf(NotDirectoryError);
  });

  test('watch reports nothing under a directory replaced by a link, even where the link leads to the same names', async () => {
    const box = sandbox();
    const dir = scratch();
    await outputOf(
      box,
      `mkdir -p ${dir}/d ${dir}/real && printf 1 > ${dir}/d/x && printf 2 > ${dir}/real/x && ln ${dir}/d/x ${dir}/d/h && printf 3 > ${dir}/real/h`,
    );
    const { watch } = (await box.files.watch!(dir))!;
    try {
      await outputOf(box, `rm -rf ${dir}/d && ln -s real ${dir}/d`);
      const changes = (await watch.changes())!;
      // `d/x` and `d/h` (a file with two links, asked about at every call) are gone: `real/x` seen through the link is not them.
      expect(changes.entries.map((entry) => entry.path)).toEqual(['d']);
      expect(changes.entries[0]).toMatchObject({ kind: 'symlink', linkTarget: 'real' });
      // Only paths that were there (an event about a directory itself names no entry of it).
      expect(changes.removedPaths.sort()).toEqual(['d/h', 'd/x']);
      expect(await watch.changes()).toMatchObject({ entries: [], removedPaths: [] });
    } finally {
      watch.close();
    }
  });

  test('watch agrees with scan about a name that is not UTF-8', async () => {
    const box = sandbox();
    const dir = scratch();
    await outputOf(box, `mkdir -p ${dir}/n && printf 1 > ${dir}/n/$'\\xff' && printf 2 > ${dir}/n/ok`);
    const { watch, listing } = (await box.files.watch!(dir))!;
    try {
      const paths = (entries: readonly TreeEntry[]) => entries.map((entry) => entry.path).sort();
      expect(paths(listing.entries)).toEqual(paths((await box.files.scan(dir)).entries));
      await outputOf(box, `printf 22 > ${dir}/n/$'\\xff' && printf 3 > ${dir}/$'\\xfe'`);
      const changes = (await watch.changes())!;
      // Whatever the listing calls that file, it is not gone.
      const now = new Set(paths((await box.files.scan(dir)).entries));
      for (const path of changes.removedPaths) expect(now, path).not.toContain(path);
      // And both show, as a scan shows them (Docker lists them by their names decoded; the local driver, by Node's
      // names, cannot lstat them and lists neither).
      const written = ['\ufffd', 'n/\ufffd'].filter((path) => now.has(path));
      expect(paths(changes.entries)).toEqual(expect.arrayContaining(written));
    } finally {
      watch.close();
    }
  });

  test('watch lists again a directory whose mode changed (what it holds may have become readable)', async () => {
    const box = sandbox();
    const dir = scratch();
    await outputOf(box, `mkdir -p ${dir}/a`);
    const { watch } = (await box.files.watch!(dir))!;
    try {
      await outputOf(box, `mkdir ${dir}/a/d && printf 1 > ${dir}/a/d/f && mkdir ${dir}/a/d/s && chmod 0 ${dir}/a/d`);
      const first = (await watch.changes())!;
      expect(first.entries.map((entry) => entry.path)).toContain('a/d');
      await outputOf(box, `chmod 755 ${dir}/a/d`);
      const second = (await watch.changes())!;
      // As a scan sees the tree now (the sandbox user could not read `a/d` before: Docker; root always could: local).
      const now = (await box.files.scan(dir)).entries.map((entry) => entry.path);
      expect(now).toEqual(expect.arrayContaining(['a/d/f', 'a/d/s']));
      const seen = new Set([...first.entries, ...second.entries].map((entry) => entry.path));
      for (const path of now) expect(seen, path).toContain(path);
    } finally {
      watch.close();
    }
  });

  test('a file written twice within a second gets two modification times', async () => {
    const box = sandbox();
    const dir = scratch();
    const mtimeOf = async () => (await box.files.walk(dir)).find((entry) => entry.path === 'same-size')!.mtimeMs;
    await box.files.writeFile(`${dir}/same-size`, 'aaaa');
    const first = await mtimeOf();
    await box.files.writeFile(`${dir}/same-size`, 'bbbb');
    // Tar headers keep whole seconds: without a finer time, the second write would look like no change at all.
    expect(await mtimeOf()).toBeGreaterThan(first);
  });

  test('walk carries thousands of entries whole', async () => {
    const box = sandbox();
    const dir = scratch();
    const name = (i: number) => `file-with-a-rather-long-name-${String(i).padStart(5, '0')}-${'x'.repeat(40)}`;
    await outputOf(
      box,
      `mkdir -p ${dir}/many && cd ${dir}/many && for i in $(seq -f %05g 0 2999); do : > "file-with-a-rather-long-name-$i-${'x'.repeat(40)}"; done; cd - >/dev/null`,
    );
    const entries = await box.files.walk(`${dir}/many`);
    expect(entries.map((entry) => entry.path).sort()).toEqual(Array.from({ length: 3000 }, (_, i) => name(i)));
  });

  test('realpath resolves every link, relative and absolute, and keeps a missing tail', async () => {
    const box = sandbox();
    const dir = scratch();
    await outputOf(
      box,
      `mkdir -p ${dir}/real/inner && ln -s real ${dir}/rel && ln -s ${dir}/real/inner ${dir}/abs && ln -s ../.. ${dir}/real/inner/up && ln -s loop ${dir}/loop`,
    );
    const real = await box.files.realpath(dir);
    expect(await box.files.realpath(`${dir}/rel/inner`)).toBe(`${real}/real/inner`);
    expect(await box.files.realpath(`${dir}/abs/new/file.txt`)).toBe(`${real}/real/inner/new/file.txt`);
    expect(await box.files.realpath(`${dir}/rel/inner/up`)).toBe(real);
    expect(await box.files.realpath(`${dir}/real/../rel`)).toBe(`${real}/real`);
    await expect(box.files.realpath(`${dir}/loop`)).rejects.toThrow(/symbolic links/);
  });

  test('move renames files and directories and creates parents; it refuses a missing source or an existing target', async () => {
    const box = sandbox();
    const dir = scratch();
    await box.files.writeFile(`${dir}/tree/a.txt`, 'a');
    await box.files.writeFile(`${dir}/b.txt`, 'b');
    await box.files.move(`${dir}/tree`, `${dir}/moved/tree`);
    await box.files.move(`${dir}/b.txt`, `${dir}/moved/c.txt`);
    expect(await outputOf(box, `cd ${dir} && find . | LC_ALL=C sort; cd - >/dev/null`)).toBe('.\n./moved\n./moved/c.txt\n./moved/tree\n./moved/tree/a.txt');
    await expect(box.files.move(`${dir}/b.txt`, `${dir}/d.txt`)).rejects.toBeInstanceOf(SandboxFileNotFoundError);
    await expect(box.files.move(`${dir}/moved/c.txt`, `${dir}/moved/tree`)).rejects.toBeInstanceOf(FileExistsError);
    await expect(box.files.move(`${dir}/moved/c.txt`, `${dir}/moved/c.txt/x`)).rejects.toBeInstanceOf(NotDirectoryError);
  });

  test('mkdir creates parents, accepts an existing directory and refuses a file in the way; remove deletes', async () => {
    const box = sandbox();
    const dir = scratch();
    await box.files.mkdir(`${dir}/a/b/c`);
    await box.files.mkdir(`${dir}/a/b`);
    expect(await box.files.lstat(`${dir}/a/b/c`)).toMatchObject({ kind: 'directory' });
    expect(await outputOf(box, `[ "$(stat -c %u ${dir}/a/b/c)" = "$(id -u)" ] && echo mine`)).toBe('mine');
    await box.files.writeFile(`${dir}/file`, 'x');
    await expect(box.files.mkdir(`${dir}/file`)).rejects.toBeInstanceOf(NotDirectoryError);
    await expect(box.files.mkdir(`${dir}/file/sub`)).rejects.toBeInstanceOf(NotDirectoryError);

    await box.files.remove(`${dir}/file`);
    await box.files.remove(`${dir}/file`);
    await expect(box.files.remove(`${dir}/a`)).rejects.toThrow();
    await box.files.remove(`${dir}/a`, { recursive: true });
    expect(await box.files.list(dir)).toEqual([]);
  });

  test('archive streams a directory as tar, entries under its name, links as links', async () => {
    const box = sandbox();
    const dir = scratch();
    await box.files.writeFile(`${dir}/src/main.py`, 'print(1)\n');
    await outputOf(box, `ln -s src/main.py ${dir}/entry && mkdir ${dir}/empty`);
    const archive = await box.files.archive(dir);
    const parser = extract();
    archive.pipe(parser);
    const seen: string[] = [];
    let content = '';
    for await (const entry of parser) {
      seen.push(`${entry.header.name.replace(/\/$/, '')}:${entry.header.type}${entry.header.linkname ? `>${entry.header.linkname}` : ''}`);
      for await (const chunk of entry) if (entry.header.name.endsWith('main.py')) content += String(chunk);
    }
    const base = posix.basename(dir);
    expect(seen.sort()).toEqual(
      [`${base}:directory`, `${base}/empty:directory`, `${base}/entry:symlink>src/main.py`, `${base}/src:directory`, `${base}/src/main.py:file`].sort(),
    );
    expect(content).toBe('print(1)\n');
    await expect(box.files.archive(`${dir}/src/main.py`)).rejects.toBeInstanceOf(NotDirectoryError);
    await expect(box.files.archive(`${dir}/missing`)).rejects.toBeInstanceOf(SandboxFileNotFoundError);
  });
}

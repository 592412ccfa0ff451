import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEditor } from '../src/editor/index.ts';
import { HostFileSystem } from '../src/files/host-file-system.ts';
import type { SandboxFiles } from '../src/sandbox.ts';
import { editorSuite } from './suites/editor-suite.ts';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'metis-editor-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const files = new HostFileSystem();
let counter = 0;
const fresh = () => join(root, `case-${++counter}`);

/** Only the whole-file methods of the host file system (no `remove`), some replaced: what the editor needs at least. */
const plainFiles = (overrides: Partial<SandboxFiles> = {}): SandboxFiles =>
  ({
    stat: (path: string) => files.stat(path),
    readFile: (path: string) => files.readFile(path),
    writeFile: (path: string, data: Uint8Array | string) => files.writeFile(path, data),
    readDir: (path: string) => files.readDir(path),
    uploadDir: (from: string, to: string) => files.uploadDir(from, to),
    downloadDir: (from: string, to: string) => files.downloadDir(from, to),
    ...overrides,
  }) as unknown as SandboxFiles;

describe('editor on the host file system', () => {
  const editor = createEditor(files);
  editorSuite(() => ({ editor, files, workdir: root }));
});

describe('editor on files that cannot delete', () => {
  // SandboxFiles has no delete; undoing a `create` must still give the model a way forward.
  const plain = plainFiles();
  const editor = createEditor(plain);
  editorSuite(() => ({ editor, files: plain, workdir: root }));
});

describe('editor options', () => {
  test('a relative path gets a suggestion joined onto workdir', async () => {
    const editor = createEditor(files, { workdir: '/workspace' });
    const obs = await editor.run({ command: 'view', path: 'src/foo.py' });
    expect(obs).toEqual({
      isError: true,
      output:
        'Invalid `path` parameter: src/foo.py. The path src/foo.py is not an absolute path, it should start with `/`. Maybe you meant /workspace/src/foo.py?',
    });
  });

  test('maxFileBytes limits whole views and edits; view_range reads up to 5 times more', async () => {
    const editor = createEditor(files, { maxFileBytes: 1_000 });
    const dir = fresh();
    const medium = join(dir, 'medium.txt');
    const huge = join(dir, 'huge.txt');
    await files.writeFile(medium, 'abcdefghi\n'.repeat(200)); // 2 000 bytes
    await files.writeFile(huge, 'abcdefghi\n'.repeat(600)); // 6 000 bytes

    const whole = await editor.run({ command: 'view', path: medium });
    expect(whole.isError).toBe(true);
    expect(whole.output).toContain('too large to view whole (2.0 KiB; the limit is 1000 bytes)');
    expect(whole.output).toContain(`wc -l ${medium}`);

    const ranged = await editor.run({ command: 'view', path: medium, view_range: [199, -1] });
    expect(ranged.isError).toBe(false);
    expect(ranged.output).toContain('   199\tabcdefghi\n   200\tabcdefghi\n');

    const tooBig = await editor.run({ command: 'view', path: huge, view_range: [1, 2] });
    expect(tooBig.isError).toBe(true);
    expect(tooBig.output).toContain(`sed -n '100,200p' ${huge}`);

    const edit = await editor.run({ command: 'insert', path: medium, insert_line: 0, new_str: 'x' });
    expect(edit.isError).toBe(true);
    expect(edit.output).toContain('too large to edit with this tool');
    expect(await readFile(medium, 'utf8')).toBe('abcdefghi\n'.repeat(200));
  });

  test('maxOutputChars clips views at a line boundary and says which lines were shown', async () => {
    const editor = createEditor(files, { maxOutputChars: 100 });
    const path = join(fresh(), 'f.txt');
    await files.writeFile(path, Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n'));
    const obs = await editor.run({ command: 'view', path });
    expect(obs.isError).toBe(false);
    expect(obs.output).toContain('     1\tline 1\n');
    expect(obs.output).toMatch(/only lines 1-(\d+) of 50 were shown/);
    const shown = Number(/only lines 1-(\d+)/.exec(obs.output)?.[1]);
    expect(obs.output).toContain(`\tline ${shown}\n<response clipped>`);

    const oneLongLine = join(fresh(), 'g.txt');
    await files.writeFile(oneLongLine, 'y'.repeat(1_000));
    const long = await editor.run({ command: 'view', path: oneLongLine });
    expect(long.output).toContain('line 1 alone is longer than the limit');
  });

  test('a large directory listing is clipped with a note to use ls -la', async () => {
    const editor = createEditor(files, { maxOutputChars: 300 });
    const dir = fresh();
    await Promise.all(Array.from({ length: 40 }, (_, i) => files.writeFile(join(dir, `d${i}`, `file-${i}.txt`), 'x')));
    const obs = await editor.run({ command: 'view', path: dir });
    expect(obs.isError).toBe(false);
    expect(obs.output).toContain('only part of this directory has been shown');
    expect(obs.output).toContain('ls -la');
  });

  test('a very repeated old_str lists the first lines and says how many more', async () => {
    const editor = createEditor(files);
    const some = join(fresh(), 'some.txt');
    await files.writeFile(some, 'dup\n'.repeat(60));
    const listed = await editor.run({ command: 'str_replace', path: some, old_str: 'dup', new_str: 'one' });
    expect(listed.output).toContain('in lines [1, 2, 3,');
    expect(listed.output).toContain(', 50, … 10 more]');

    const many = join(fresh(), 'many.txt');
    await files.writeFile(many, 'dup\n'.repeat(5_000));
    const capped = await editor.run({ command: 'str_replace', path: many, old_str: 'dup', new_str: 'one' });
    expect(capped.output).toContain(', 50, … and more]');
  });

  test('undo history keeps maxHistoryPerFile steps', async () => {
    const editor = createEditor(files, { maxHistoryPerFile: 2 });
    const path = join(fresh(), 'h.txt');
    await files.writeFile(path, '0');
    for (const n of [1, 2, 3]) await editor.run({ command: 'str_replace', path, old_str: String(n - 1), new_str: String(n) });
    expect((await editor.run({ command: 'undo_edit', path })).isError).toBe(false);
    expect((await editor.run({ command: 'undo_edit', path })).isError).toBe(false);
    expect(await readFile(path, 'utf8')).toBe('1');
    expect((await editor.run({ command: 'undo_edit', path })).output).toContain('No edit history found');
  });

  test('concurrent commands run one at a time', async () => {
    const editor = createEditor(files);
    const path = join(fresh(), 'c.txt');
    await files.writeFile(path, 'end\n');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => editor.run({ command: 'insert', path, insert_line: 0, new_str: `line ${i}` })));
    expect(results.every((r) => !r.isError)).toBe(true);
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')).toHaveLength(12);
    for (let i = 0; i < 10; i++) expect(text).toContain(`line ${i}\n`);
  });

  test('numeric strings from the model are accepted for insert_line and view_range', async () => {
    const editor = createEditor(files);
    const path = join(fresh(), 'n.txt');
    await files.writeFile(path, 'a\nb\n');
    const ins = await editor.run({ command: 'insert', path, insert_line: '1' as unknown as number, new_str: 'x' });
    expect(ins.isError).toBe(false);
    const viewed = await editor.run({ command: 'view', path, view_range: ['2', '2'] as unknown as [number, number] });
    expect(viewed.output).toContain('     2\tx\n');
  });

  test('a file system failure is reported, not thrown', async () => {
    const failing = plainFiles({
      stat: async () => {
        throw new Error('container is gone');
      },
    });
    const obs = await createEditor(failing).run({ command: 'view', path: '/x' });
    expect(obs).toEqual({ isError: true, output: 'Ran into an error while running `view` on /x: container is gone' });
  });
});

describe('HostFileSystem', () => {
  test('stat reports kind and size, and null for nothing', async () => {
    const dir = fresh();
    await files.writeFile(join(dir, 'a.txt'), 'hello');
    expect(await files.stat(join(dir, 'a.txt'))).toEqual({ kind: 'file', sizeBytes: 5 });
    expect((await files.stat(dir))?.kind).toBe('directory');
    expect(await files.stat(join(dir, 'missing'))).toBeNull();
    expect(await files.stat(join(dir, 'a.txt', 'under-a-file'))).toBeNull();
  });

  test('writeFile creates parents and round-trips strings and bytes exactly', async () => {
    const dir = fresh();
    const text = join(dir, 'x/y/z.txt');
    await files.writeFile(text, 'ünï\r\ncode');
    expect(await readFile(text, 'utf8')).toBe('ünï\r\ncode');
    const bytes = new Uint8Array([0, 255, 10, 13, 128]);
    await files.writeFile(join(dir, 'b.bin'), bytes);
    const back = await files.readFile(join(dir, 'b.bin'));
    expect(back).toBeInstanceOf(Uint8Array);
    expect([...back]).toEqual([...bytes]);
    await files.writeFile(text, 'shorter');
    expect(await readFile(text, 'utf8')).toBe('shorter');
  });

  test('readDir lists hidden entries and follows symlinks for their kind', async () => {
    const dir = fresh();
    await files.writeFile(join(dir, '.hidden'), '');
    await files.writeFile(join(dir, 'sub/file'), '');
    await symlink(join(dir, 'sub'), join(dir, 'link-to-sub'));
    await symlink(join(dir, 'nowhere'), join(dir, 'dangling'));
    const entries = (await files.readDir(dir)).sort((a, b) => a.name.localeCompare(b.name));
    expect(entries).toEqual([
      { name: '.hidden', kind: 'file' },
      { name: 'dangling', kind: 'other' },
      { name: 'link-to-sub', kind: 'directory' },
      { name: 'sub', kind: 'directory' },
    ]);
  });

  test('uploadDir and downloadDir copy directories recursively, merging into existing ones', async () => {
    const src = fresh();
    await files.writeFile(join(src, 'top.txt'), 'top');
    await files.writeFile(join(src, 'a/b/deep.txt'), 'deep');
    await files.writeFile(join(src, '.dot/x'), 'dot');
    await symlink('top.txt', join(src, 'alias'));

    const sandboxDir = fresh();
    await files.writeFile(join(sandboxDir, 'existing.txt'), 'kept');
    await files.writeFile(join(sandboxDir, 'top.txt'), 'old');
    await files.uploadDir(src, sandboxDir);
    expect(await readFile(join(sandboxDir, 'a/b/deep.txt'), 'utf8')).toBe('deep');
    expect(await readFile(join(sandboxDir, '.dot/x'), 'utf8')).toBe('dot');
    expect(await readFile(join(sandboxDir, 'top.txt'), 'utf8')).toBe('top');
    expect(await readFile(join(sandboxDir, 'existing.txt'), 'utf8')).toBe('kept');
    expect(await readlink(join(sandboxDir, 'alias'))).toBe('top.txt');

    const hostDir = join(fresh(), 'not/yet/there');
    await files.downloadDir(sandboxDir, hostDir);
    expect(await readFile(join(hostDir, 'a/b/deep.txt'), 'utf8')).toBe('deep');
    expect(await readFile(join(hostDir, 'existing.txt'), 'utf8')).toBe('kept');
    await expect(files.uploadDir(join(src, 'top.txt'), fresh())).rejects.toThrow('Not a directory');
  });

  test('remove deletes a file and ignores a missing one', async () => {
    const path = join(fresh(), 'gone.txt');
    await files.writeFile(path, 'x');
    await files.remove(path);
    expect(await files.stat(path)).toBeNull();
    await expect(files.remove(path)).resolves.toBeUndefined();
  });

  test('relative paths are rejected', async () => {
    await expect(files.stat('relative/path')).rejects.toThrow('absolute path');
    await expect(files.writeFile('x.txt', 'x')).rejects.toThrow('absolute path');
  });

  test('a directory is not a file', async () => {
    const dir = fresh();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'f'), 'x');
    await expect(files.readFile(dir)).rejects.toThrow();
    expect((await stat(join(dir, 'f'))).size).toBe(1);
  });
});

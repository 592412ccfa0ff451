/**
 * The `str_replace_editor` contract, run against any sandbox: the host file system in
 * `editor.test.ts`, and the Docker and local drivers in their own suites.
 * Call it inside a `describe`. Every test works in its own directory under `workdir`,
 * so the suite can share one sandbox. It assumes `createEditor`'s default limits unless
 * told otherwise.
 */
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import iconv from 'iconv-lite';
import { expect, test } from 'vitest';
import type { Editor, EditorParams, SandboxFiles } from '../../src/sandbox.ts';

export interface EditorSuiteTarget {
  editor: Editor;
  files: SandboxFiles;
  workdir: string;
}

export interface EditorSuiteLimits {
  /** The editor's `maxFileBytes` (default 10 MiB). */
  maxFileBytes?: number;
  /** The editor's `maxOutputChars` (default 16 000). */
  maxOutputChars?: number;
}

/** Keeps a BOM, so tests see the bytes as they are. */
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export function editorSuite(getSandbox: () => EditorSuiteTarget, limits: EditorSuiteLimits = {}): void {
  const maxFileBytes = limits.maxFileBytes ?? 10 * 1024 * 1024;
  const maxOutputChars = limits.maxOutputChars ?? 16_000;

  /** A fresh directory path (not created) under the sandbox's workdir. */
  const scratch = () => posix.join(getSandbox().workdir, `editor-suite-${randomUUID().slice(0, 8)}`);
  const run = (params: EditorParams) => getSandbox().editor.run(params);
  const write = (path: string, data: string | Uint8Array) => getSandbox().files.writeFile(path, data);
  const read = async (path: string) => decoder.decode(await getSandbox().files.readFile(path));

  /** A file in a fresh directory, holding `content`. */
  async function fileWith(content: string | Uint8Array, name = 'file.txt'): Promise<string> {
    const path = posix.join(scratch(), name);
    await write(path, content);
    return path;
  }

  // ---------------------------------------------------------------- view

  test('view shows a file numbered like `cat -n`', async () => {
    const path = await fileWith('alpha\n\tbeta\ngamma\n');
    const obs = await run({ command: 'view', path });
    expect(obs.isError).toBe(false);
    expect(obs.output).toBe(`Here's the result of running \`cat -n\` on ${path}:\n     1\talpha\n     2\t\tbeta\n     3\tgamma\n`);
  });

  test('view_range shows the chosen lines, -1 meaning to the end', async () => {
    const path = await fileWith('l1\nl2\nl3\nl4\nl5\n');
    const middle = await run({ command: 'view', path, view_range: [2, 3] });
    expect(middle.isError).toBe(false);
    expect(middle.output).toContain('     2\tl2\n     3\tl3\n');
    expect(middle.output).not.toContain('l1');
    expect(middle.output).not.toContain('l4');

    const toEnd = await run({ command: 'view', path, view_range: [4, -1] });
    expect(toEnd.isError).toBe(false);
    expect(toEnd.output).toContain('     4\tl4\n     5\tl5\n');
    expect(toEnd.output).not.toContain('l3');
  });

  test('view_range out of bounds is refused with the valid range', async () => {
    const path = await fileWith('a\nb\nc\n');
    const cases: Array<[[number, number], string]> = [
      [[0, 2], 'Its first element `0` should be within the range of lines of the file: [1, 3]'],
      [[4, 4], 'Its first element `4` should be within the range of lines of the file: [1, 3]'],
      [[3, 2], 'Its second element `2` should be greater than or equal to its first element `3`'],
      [[1, 10], 'Its second element `10` should not exceed the number of lines in the file: `3`'],
    ];
    for (const [range, message] of cases) {
      const obs = await run({ command: 'view', path, view_range: range });
      expect(obs.isError, JSON.stringify(range)).toBe(true);
      expect(obs.output).toContain(`Invalid \`view_range\` parameter: [${range[0]}, ${range[1]}].`);
      expect(obs.output).toContain(message);
    }
    const malformed = await run({ command: 'view', path, view_range: [1] as unknown as [number, number] });
    expect(malformed.isError).toBe(true);
    expect(malformed.output).toContain('It should be a list of two integers');
  });

  test('view of a directory lists two levels, leaving out and counting hidden entries', async () => {
    const dir = scratch();
    await write(`${dir}/a.txt`, 'a');
    await write(`${dir}/sub/b.txt`, 'b');
    await write(`${dir}/sub/.secret`, 's');
    await write(`${dir}/sub/deeper/c.txt`, 'c');
    await write(`${dir}/.env`, 'x');
    await write(`${dir}/.git/config`, 'x');

    const obs = await run({ command: 'view', path: dir });
    expect(obs.isError).toBe(false);
    expect(obs.output).toContain(`files and directories up to 2 levels deep in ${dir}, excluding hidden items:`);
    const listed = obs.output.split('\n');
    for (const entry of [`${dir}/`, `${dir}/a.txt`, `${dir}/sub/`, `${dir}/sub/b.txt`, `${dir}/sub/deeper/`]) {
      expect(listed).toContain(entry);
    }
    expect(obs.output).not.toContain('c.txt');
    expect(obs.output).not.toContain('.secret');
    expect(obs.output).not.toContain('.env');
    expect(obs.output).toContain('2 hidden files/directories in this directory are excluded');
    expect(obs.output).toContain(`ls -la ${dir}`);
  });

  test('view of a directory with a trailing slash and no hidden entries', async () => {
    const dir = scratch();
    await write(`${dir}/only.txt`, 'x');
    const obs = await run({ command: 'view', path: `${dir}/` });
    expect(obs.isError).toBe(false);
    expect(obs.output.split('\n')).toContain(`${dir}/only.txt`);
    expect(obs.output).not.toContain('hidden files/directories');
  });

  test('view_range on a directory is refused', async () => {
    const dir = scratch();
    await write(`${dir}/a.txt`, 'a');
    const obs = await run({ command: 'view', path: dir, view_range: [1, 2] });
    expect(obs.isError).toBe(true);
    expect(obs.output).toContain('The `view_range` parameter is not allowed when `path` points to a directory.');
  });

  test('a long file is clipped with a note on how to see the rest', async () => {
    const lines = Array.from({ length: Math.ceil(maxOutputChars / 20) + 100 }, (_, i) => `line number ${i + 1}`);
    const path = await fileWith(`${lines.join('\n')}\n`);
    const obs = await run({ command: 'view', path });
    expect(obs.isError).toBe(false);
    expect(obs.output).toContain('     1\tline number 1\n');
    expect(obs.output).not.toContain(`\tline number ${lines.length}\n`);
    expect(obs.output).toContain('<response clipped>');
    expect(obs.output).toContain('view_range');
    expect(obs.output).toContain(`grep -n`);
    expect(obs.output.length).toBeLessThan(maxOutputChars + 1_000);
  });

  // ---------------------------------------------------------------- paths and parameters

  test('a relative path is refused with a hint to use an absolute one', async () => {
    for (const command of ['view', 'create', 'str_replace', 'insert', 'undo_edit'] as const) {
      const obs = await run({ command, path: 'src/foo.py', file_text: 'x', old_str: 'a', new_str: 'b', insert_line: 0 });
      expect(obs.isError, command).toBe(true);
      expect(obs.output).toContain('The path src/foo.py is not an absolute path, it should start with `/`.');
    }
  });

  test('a missing path is refused for view, str_replace, insert and undo_edit', async () => {
    const path = posix.join(scratch(), 'missing.txt');
    const attempts: EditorParams[] = [
      { command: 'view', path },
      { command: 'str_replace', path, old_str: 'a', new_str: 'b' },
      { command: 'insert', path, insert_line: 0, new_str: 'a' },
      { command: 'undo_edit', path },
    ];
    for (const params of attempts) {
      const obs = await run(params);
      expect(obs.isError, params.command).toBe(true);
      expect(obs.output).toContain(`The path ${path} does not exist. Please provide a valid path.`);
    }
    expect(await getSandbox().files.stat(path)).toBeNull();
  });

  test('an unknown command is refused, naming the allowed ones', async () => {
    const path = await fileWith('x\n');
    const obs = await run({ command: 'delete', path } as unknown as EditorParams);
    expect(obs.isError).toBe(true);
    expect(obs.output).toContain('Unrecognized command delete');
    expect(obs.output).toContain('view, create, str_replace, insert, undo_edit');
  });

  test('missing parameters are named', async () => {
    const path = await fileWith('x\n');
    const cases: Array<[EditorParams, string]> = [
      [{ command: 'create', path: posix.join(scratch(), 'new.txt') }, 'Parameter `file_text` is required for command: create.'],
      [{ command: 'str_replace', path, new_str: 'y' }, 'Parameter `old_str` is required for command: str_replace.'],
      [{ command: 'insert', path, new_str: 'y' }, 'Parameter `insert_line` is required for command: insert.'],
      [{ command: 'insert', path, insert_line: 1 }, 'Parameter `new_str` is required for command: insert.'],
      [{ command: 'view', path: '' }, 'Parameter `path` is required for command: view.'],
    ];
    for (const [params, message] of cases) {
      const obs = await run(params);
      expect(obs.isError, message).toBe(true);
      expect(obs.output).toContain(message);
    }
    expect(await read(path)).toBe('x\n');
  });

  test('editing commands refuse a directory', async () => {
    const dir = scratch();
    await write(`${dir}/a.txt`, 'a');
    const obs = await run({ command: 'str_replace', path: dir, old_str: 'a', new_str: 'b' });
    expect(obs.isError).toBe(true);
    expect(obs.output).toContain(`The path ${dir} is a directory and only the \`view\` command can be used on directories.`);
  });

  // ---------------------------------------------------------------- create

  test('create writes a new file, making parent directories', async () => {
    const path = posix.join(scratch(), 'nested/deeper/new.py');
    const obs = await run({ command: 'create', path, file_text: 'print("hi")\n' });
    expect(obs).toEqual({ isError: false, output: `File created successfully at: ${path}` });
    expect(await read(path)).toBe('print("hi")\n');
  });

  test('create refuses to overwrite an existing file', async () => {
    const path = await fileWith('original\n');
    const obs = await run({ command: 'create', path, file_text: 'replacement\n' });
    expect(obs.isError).toBe(true);
    expect(obs.output).toContain(`File already exists at: ${path}. Cannot overwrite files using command \`create\`.`);
    expect(await read(path)).toBe('original\n');
  });

  test('create keeps content byte for byte (no trailing newline, CRLF, empty file)', async () => {
    const dir = scratch();
    for (const [name, text] of [
      ['plain', 'no newline at end'],
      ['crlf', 'a\r\nb\r\n'],
      ['empty', ''],
    ]) {
      const path = `${dir}/${name}.txt`;
      expect((await run({ command: 'create', path, file_text: text })).isError).toBe(false);
      expect(await read(path)).toBe(text);
    }
  });

  // ---------------------------------------------------------------- str_replace

  test('str_replace replaces a unique match and shows a numbered snippet', async () => {
    const path = await fileWith('def f():\n    return 1\n\nprint(f())\n');
    const obs = await run({ command: 'str_replace', path, old_str: 'return 1', new_str: 'return 2' });
    expect(obs.isError).toBe(false);
    expect(await read(path)).toBe('def f():\n    return 2\n\nprint(f())\n');
    expect(obs.output).toContain(`The file ${path} has been edited.`);
    expect(obs.output).toContain(`Here's the result of running \`cat -n\` on a snippet of ${path}:`);
    expect(obs.output).toContain('     2\t    return 2\n');
    expect(obs.output).toContain('Review the changes and make sure they are as expected.');
  });

  test('str_replace snippet shows only lines around the edit', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `row ${i + 1}`);
    const path = await fileWith(`${lines.join('\n')}\n`);
    const obs = await run({ command: 'str_replace', path, old_str: 'row 15\n', new_str: 'row 15a\nrow 15b\n' });
    expect(obs.isError).toBe(false);
    expect(obs.output).toContain('    11\trow 11\n');
    expect(obs.output).toContain('    15\trow 15a\n    16\trow 15b\n');
    expect(obs.output).not.toContain('\trow 1\n');
    expect(obs.output).not.toContain('\trow 25\n');
  });

  test('str_replace reports every line of a non-unique match and changes nothing', async () => {
    const path = await fileWith('x = 1\ny = 2\nx = 1\nz = 3\n');
    const obs = await run({ command: 'str_replace', path, old_str: 'x = 1', new_str: 'x = 9' });
    expect(obs.isError).toBe(true);
    expect(obs.output).toContain('No replacement was performed. Multiple occurrences of old_str `x = 1` in lines [1, 3]. Please ensure it is unique');
    expect(await read(path)).toBe('x = 1\ny = 2\nx = 1\nz = 3\n');
  });

  test('str_replace reports an old_str that does not appear and changes nothing', async () => {
    const path = await fileWith('hello world\n');
    const obs = await run({ command: 'str_replace', path, old_str: 'hello  world', new_str: 'bye' });
    expect(obs.isError).toBe(true);
    expect(obs.output).toContain(`No replacement was performed, old_str \`hello  world\` did not appear verbatim in ${path}.`);
    expect(await read(path)).toBe('hello world\n');
  });

  test('str_replace without new_str deletes the match; identical strings are refused', async () => {
    const path = await fileWith('keep\ndrop me\nkeep too\n');
    const same = await run({ command: 'str_replace', path, old_str: 'keep\n', new_str: 'keep\n' });
    expect(same.isError).toBe(true);
    expect(same.output).toContain('`new_str` and `old_str` must be different');

    const obs = await run({ command: 'str_replace', path, old_str: 'drop me\n' });
    expect(obs.isError).toBe(false);
    expect(await read(path)).toBe('keep\nkeep too\n');
  });

  test('str_replace preserves CRLF, a missing final newline, tabs and a BOM', async () => {
    const crlf = await fileWith('one\r\ntwo\r\nthree\r\n');
    expect((await run({ command: 'str_replace', path: crlf, old_str: 'two', new_str: 'TWO' })).isError).toBe(false);
    expect(await read(crlf)).toBe('one\r\nTWO\r\nthree\r\n');
    // An LF-only old_str spanning lines still matches a CRLF file, and new_str gets CRLF.
    const multi = await run({ command: 'str_replace', path: crlf, old_str: 'one\nTWO', new_str: '1\n2' });
    expect(multi.isError).toBe(false);
    expect(await read(crlf)).toBe('1\r\n2\r\nthree\r\n');

    const bare = await fileWith('a\n\tb');
    expect((await run({ command: 'str_replace', path: bare, old_str: '\tb', new_str: '\t\tc' })).isError).toBe(false);
    expect(await read(bare)).toBe('a\n\t\tc');

    const bom = await fileWith('\uFEFFfirst\nsecond\n');
    expect((await run({ command: 'str_replace', path: bom, old_str: 'second', new_str: '2nd' })).isError).toBe(false);
    expect(await read(bom)).toBe('\uFEFFfirst\n2nd\n');
  });

  test('unicode content is viewed and edited intact', async () => {
    const path = await fileWith('héllo 🌍\n日本語のテキスト\nemoji 👩‍💻 end\n');
    const view = await run({ command: 'view', path });
    expect(view.output).toContain('     1\théllo 🌍\n     2\t日本語のテキスト\n     3\temoji 👩‍💻 end\n');

    const obs = await run({ command: 'str_replace', path, old_str: '🌍', new_str: '🌎 — ünïcödé' });
    expect(obs.isError).toBe(false);
    expect(obs.output).toContain('     1\théllo 🌎 — ünïcödé\n');
    expect((await run({ command: 'insert', path, insert_line: 2, new_str: 'Ελληνικά' })).isError).toBe(false);
    expect(await read(path)).toBe('héllo 🌎 — ünïcödé\n日本語のテキスト\nΕλληνικά\nemoji 👩‍💻 end\n');
  });

  // ---------------------------------------------------------------- insert

  test('insert puts text after the given line, 0 meaning the start', async () => {
    const path = await fileWith('a\nb\nc\n');
    const top = await run({ command: 'insert', path, insert_line: 0, new_str: 'start' });
    expect(top.isError).toBe(false);
    expect(await read(path)).toBe('start\na\nb\nc\n');

    const middle = await run({ command: 'insert', path, insert_line: 2, new_str: 'm1\nm2' });
    expect(middle.isError).toBe(false);
    expect(await read(path)).toBe('start\na\nm1\nm2\nb\nc\n');
    expect(middle.output).toContain(`The file ${path} has been edited.`);
    expect(middle.output).toContain('     3\tm1\n     4\tm2\n');
    expect(middle.output).toContain('Review the changes and make sure they are as expected');

    const end = await run({ command: 'insert', path, insert_line: 6, new_str: 'last\n' });
    expect(end.isError).toBe(false);
    expect(await read(path)).toBe('start\na\nm1\nm2\nb\nc\nlast\n');
  });

  test('insert handles a file without a final newline, an empty file and CRLF', async () => {
    const bare = await fileWith('a\nb');
    expect((await run({ command: 'insert', path: bare, insert_line: 2, new_str: 'c' })).isError).toBe(false);
    expect(await read(bare)).toBe('a\nb\nc\n');

    const empty = await fileWith('');
    expect((await run({ command: 'insert', path: empty, insert_line: 0, new_str: 'only' })).isError).toBe(false);
    expect(await read(empty)).toBe('only\n');

    const crlf = await fileWith('x\r\ny\r\n');
    expect((await run({ command: 'insert', path: crlf, insert_line: 1, new_str: 'p\nq' })).isError).toBe(false);
    expect(await read(crlf)).toBe('x\r\np\r\nq\r\ny\r\n');
  });

  test('insert_line outside [0, number of lines] is refused with the valid range', async () => {
    const path = await fileWith('a\nb\nc\n');
    for (const line of [-1, 4]) {
      const obs = await run({ command: 'insert', path, insert_line: line, new_str: 'x' });
      expect(obs.isError).toBe(true);
      expect(obs.output).toContain(`Invalid \`insert_line\` parameter: ${line}.`);
      expect(obs.output).toContain('It should be within the range of allowed values: [0, 3]');
    }
    expect(await read(path)).toBe('a\nb\nc\n');
  });

  // ---------------------------------------------------------------- undo_edit

  test('undo_edit steps back through edits one at a time', async () => {
    const path = await fileWith('v1\n');
    await run({ command: 'str_replace', path, old_str: 'v1', new_str: 'v2' });
    await run({ command: 'insert', path, insert_line: 1, new_str: 'more' });
    expect(await read(path)).toBe('v2\nmore\n');

    const first = await run({ command: 'undo_edit', path });
    expect(first.isError).toBe(false);
    expect(first.output).toContain(`Last edit to ${path} undone successfully.`);
    expect(first.output).toContain('     1\tv2\n');
    expect(await read(path)).toBe('v2\n');

    const second = await run({ command: 'undo_edit', path });
    expect(second.isError).toBe(false);
    expect(await read(path)).toBe('v1\n');

    const third = await run({ command: 'undo_edit', path });
    expect(third).toEqual({ isError: true, output: `No edit history found for ${path}.` });
    expect(await read(path)).toBe('v1\n');
  });

  test('undo_edit without history is refused', async () => {
    const path = await fileWith('untouched\n');
    const obs = await run({ command: 'undo_edit', path });
    expect(obs).toEqual({ isError: true, output: `No edit history found for ${path}.` });
  });

  test('failed edits leave no history to undo', async () => {
    const path = await fileWith('a\na\n');
    await run({ command: 'str_replace', path, old_str: 'a', new_str: 'b' });
    await run({ command: 'insert', path, insert_line: 9, new_str: 'b' });
    expect((await run({ command: 'undo_edit', path })).output).toBe(`No edit history found for ${path}.`);
  });

  test('undo_edit after create restores the created text, then takes back the creation', async () => {
    const path = posix.join(scratch(), 'made.txt');
    await run({ command: 'create', path, file_text: 'made\n' });
    await run({ command: 'str_replace', path, old_str: 'made', new_str: 'changed' });
    expect((await run({ command: 'undo_edit', path })).isError).toBe(false);
    expect(await read(path)).toBe('made\n');

    const undoCreate = await run({ command: 'undo_edit', path });
    const { files } = getSandbox();
    if (typeof (files as Partial<{ remove: unknown }>).remove === 'function') {
      expect(undoCreate.isError).toBe(false);
      expect(await files.stat(path)).toBeNull();
    } else {
      // Without a way to delete, the editor says how; the file stays as created.
      expect(undoCreate.isError).toBe(true);
      expect(undoCreate.output).toContain(`rm ${path}`);
      expect(await read(path)).toBe('made\n');
    }
  });

  // ---------------------------------------------------------------- binary and size limits

  test('binary files are refused for view and edits', async () => {
    const nul = await fileWith(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0x02]), 'program.bin');
    const png = await fileWith(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]), 'image.png');
    // Bytes without NUL that no encoding turns into clean text.
    const noise = await fileWith(
      new Uint8Array(Array.from({ length: 300 }, (_, i) => [0x01, 0x81, 0x9d, 0x8f, 0x02, 0xc3, 0x28, 0x90][i % 8] ?? 1)),
      'noise.bin',
    );
    for (const [path, reason] of [
      [nul, 'NUL bytes'],
      [png, 'NUL bytes'],
      [noise, 'neither UTF-8 nor text in a legacy encoding'],
    ] as const) {
      const viewed = await run({ command: 'view', path });
      expect(viewed.isError).toBe(true);
      expect(viewed.output).toContain('appears to be binary');
      expect(viewed.output).toContain(reason);
      const edited = await run({ command: 'insert', path, insert_line: 0, new_str: 'x' });
      expect(edited.isError).toBe(true);
      expect(edited.output).toContain('appears to be binary');
    }
    expect([...(await getSandbox().files.readFile(nul))]).toEqual([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0x02]);
  });

  // ---------------------------------------------------------------- encodings

  const bytesOf = async (path: string) => Buffer.from(await getSandbox().files.readFile(path));

  test('a tiny Latin-1 file is shown as text, its encoding named as a guess, and edited in Latin-1', async () => {
    const path = await fileWith(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]), 'latin1.txt');
    const viewed = await run({ command: 'view', path });
    expect(viewed.isError).toBe(false);
    expect(viewed.output).toContain(`on ${path} (encoding: windows-1252, guessed: the file has too little non-ASCII text`);
    expect(viewed.output).toContain('     1\tcafé\n');
    const edited = await run({ command: 'str_replace', path, old_str: 'café', new_str: 'crème brûlée' });
    expect(edited.isError).toBe(false);
    expect(edited.output).toContain(`The file ${path} (encoding: windows-1252`);
    expect(await bytesOf(path)).toEqual(iconv.encode('crème brûlée\n', 'latin1'));
  });

  test('legacy encodings are detected, shown, and edits written back byte-exact in the file’s encoding and line endings', async () => {
    const french =
      'Résumé des modifications:\r\n- Le café est très chaud à Noël\r\n- Voilà où ça commence, été comme hiver\r\nÀ bientôt, Éloïse\r\nDernière ligne sans fin';
    // [file, encoding, text, old_str, new_str, whether the encoding is the tiny-file guess]
    const cases: Array<[string, string, string, string, string, boolean]> = [
      ['french.txt', 'latin1', french, 'très chaud', 'trop sucré', false],
      [
        'notes-sjis.txt',
        'shift_jis',
        'これは日本語のテキストファイルです。\n文字コードはシフトJISです。\n最後の行\n',
        '最後の行',
        '最後の行（変更済み）',
        false,
      ],
      ['readme-gbk.txt', 'gbk', '这是一个中文文本文件，用于测试编码检测。\n第二行内容。\n', '第二行内容。', '第二行已修改。', false],
      // Tiny, but its non-ASCII bytes come in runs: the detector's answer is used.
      ['cyrillic.txt', 'win1251', 'Привет мир\n', 'мир', 'всем', true],
    ];
    for (const [name, encoding, text, oldStr, newStr, isGuess] of cases) {
      const path = await fileWith(iconv.encode(text, encoding), name);
      const viewed = await run({ command: 'view', path });
      expect(viewed.isError, name).toBe(false);
      expect(viewed.output).toContain(`on ${path} (encoding: `);
      expect(viewed.output.includes('guessed'), name).toBe(isGuess);
      expect(viewed.output).toContain(`     1\t${text.split(/\r?\n/)[0]}\n`);
      const edited = await run({ command: 'str_replace', path, old_str: oldStr, new_str: newStr });
      expect(edited.isError, edited.output).toBe(false);
      expect(await bytesOf(path)).toEqual(iconv.encode(text.replace(oldStr, newStr), encoding));
      const inserted = await run({ command: 'insert', path, insert_line: 1, new_str: newStr });
      expect(inserted.isError, inserted.output).toBe(false);
      const eol = text.includes('\r\n') ? '\r\n' : '\n';
      const lines = text.replace(oldStr, newStr).split(eol);
      expect(await bytesOf(path)).toEqual(iconv.encode([lines[0], newStr, ...lines.slice(1)].join(eol), encoding));
      // undo restores the exact bytes.
      await run({ command: 'undo_edit', path });
      await run({ command: 'undo_edit', path });
      expect(await bytesOf(path)).toEqual(iconv.encode(text, encoding));
    }
  });

  test('text the file’s encoding cannot represent is refused with an ERROR, never written as "?"', async () => {
    const path = await fileWith(iconv.encode('Prix: 5 €, café\n', 'win1252'), 'prices.txt');
    const before = await bytesOf(path);
    for (const newStr of ['prix en 中文', 'smile 😀']) {
      const obs = await run({ command: 'str_replace', path, old_str: 'café', new_str: newStr });
      expect(obs.isError).toBe(true);
      expect(obs.output).toContain('No edit was made');
      expect(obs.output).toMatch(/which has no bytes for "(中", "文|😀)"/);
      const inserted = await run({ command: 'insert', path, insert_line: 1, new_str: newStr });
      expect(inserted.isError).toBe(true);
      expect(await bytesOf(path)).toEqual(before);
    }
    expect((await run({ command: 'undo_edit', path })).output).toBe(`No edit history found for ${path}.`);
  });

  test('UTF-8 and UTF-16 files with a byte-order mark, and mixed line endings, round-trip byte-exact', async () => {
    const utf16 = (text: string, bigEndian: boolean) => {
      const le = Buffer.from(text, 'utf16le');
      if (bigEndian) le.swap16();
      return Buffer.concat([Buffer.from(bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]), le]);
    };
    const text = 'first line\r\nsecond 😀 line\r\nthird\r\n';
    for (const bigEndian of [false, true]) {
      const path = await fileWith(utf16(text, bigEndian), `utf16-${bigEndian ? 'be' : 'le'}.txt`);
      const viewed = await run({ command: 'view', path });
      expect(viewed.output).toContain(`(encoding: UTF-16${bigEndian ? 'BE' : 'LE'} with BOM)`);
      expect(viewed.output).toContain('     2\tsecond 😀 line\n');
      expect((await run({ command: 'str_replace', path, old_str: 'third', new_str: '3rd ✓' })).isError).toBe(false);
      expect(await bytesOf(path)).toEqual(utf16(text.replace('third', '3rd ✓'), bigEndian));
      expect((await run({ command: 'insert', path, insert_line: 0, new_str: 'zeroth' })).isError).toBe(false);
      expect(await bytesOf(path)).toEqual(utf16(`zeroth\r\n${text.replace('third', '3rd ✓')}`, bigEndian));
    }
    const bom = await fileWith('\uFEFFalpha\nbeta\n', 'bom.txt');
    const bomView = await run({ command: 'view', path: bom });
    expect(bomView.output).toContain(`on ${bom} (encoding: UTF-8 with BOM):\n     1\talpha\n`);
    expect((await run({ command: 'insert', path: bom, insert_line: 0, new_str: 'zero' })).isError).toBe(false);
    expect(await read(bom)).toBe('\uFEFFzero\nalpha\nbeta\n');

    const mixed = await fileWith('unix\ndos\r\nold mac\rlast\n', 'mixed.txt');
    expect((await run({ command: 'str_replace', path: mixed, old_str: 'last', new_str: 'final' })).isError).toBe(false);
    expect(await read(mixed)).toBe('unix\ndos\r\nold mac\rfinal\n');
  });

  test('a view of a long line of emoji is cut on a character boundary', async () => {
    const path = await fileWith(`x${'😀'.repeat(maxOutputChars)}\nnext\n`, 'emoji.txt');
    const obs = await run({ command: 'view', path });
    expect(obs.isError).toBe(false);
    expect(obs.output.isWellFormed()).toBe(true);
    expect(obs.output).toContain('<response clipped>');
    const long = await run({ command: 'str_replace', path, old_str: `x${'😀'.repeat(3000)}`, new_str: `y${'😀'.repeat(3000)}` });
    expect(long.output.isWellFormed()).toBe(true);
  });

  test('a file over the size limit cannot be viewed or edited whole, but view_range works', async () => {
    const line = `${'x'.repeat(99)}\n`;
    const path = await fileWith(line.repeat(Math.floor(maxFileBytes / line.length) + 10), 'big.log');

    const viewed = await run({ command: 'view', path });
    expect(viewed.isError).toBe(true);
    expect(viewed.output).toContain('too large');
    expect(viewed.output).toContain('view_range');
    expect(viewed.output).toContain('grep -n');

    const edited = await run({ command: 'str_replace', path, old_str: 'x\nx', new_str: 'y' });
    expect(edited.isError).toBe(true);
    expect(edited.output).toContain('too large to edit');

    const ranged = await run({ command: 'view', path, view_range: [2, 3] });
    expect(ranged.isError).toBe(false);
    expect(ranged.output).toContain(`     2\t${'x'.repeat(99)}\n     3\t`);
  });
}

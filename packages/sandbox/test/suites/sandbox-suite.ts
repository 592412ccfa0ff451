/**
 * The behaviour every driver must show, run against Docker and the local driver alike. The
 * sandbox must be created with `SUITE_SHELL_OPTIONS`. Tests share one sandbox and work in their
 * own directories under `workdir`; each leaves the shell idle.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import type { Sandbox, ShellOptions } from '../../src/index.ts';
import { outputOf, run } from '../helpers/run-command.ts';

export const SUITE_SHELL_OPTIONS: ShellOptions = { noOutputTimeoutMs: 750 };

export function sandboxSuite(getSandbox: () => Sandbox): void {
  const sandbox = () => getSandbox();
  const scratch = () => posix.join(sandbox().workdir, `suite-${randomUUID().slice(0, 8)}`);
  const hostDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(hostDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  test('the shell starts in workdir', async () => {
    const box = sandbox();
    expect(box.shell.cwd).toBe(box.workdir);
    expect(await outputOf(box, 'pwd')).toBe(box.workdir);
  });

  test('cwd and environment persist between commands, and the result reports them', async () => {
    const box = sandbox();
    const dir = scratch();
    const first = await run(box, `mkdir -p ${dir}/inner && cd ${dir}/inner && export SUITE_VAR="one two"`);
    expect(first).toMatchObject({ status: 'completed', exitCode: 0, cwd: `${dir}/inner` });
    expect(first.text).toContain('[The command completed with exit code 0.]');
    expect(first.text).toContain(`[Current working directory: ${dir}/inner]`);
    expect(await outputOf(box, 'echo "$SUITE_VAR"; pwd')).toBe(`one two\n${dir}/inner`);
    await outputOf(box, `cd ${box.workdir}`);
  });

  test('exit codes are reported, and stderr comes with stdout', async () => {
    const result = await run(sandbox(), 'echo out; echo err >&2; (exit 7)');
    expect(result).toMatchObject({ status: 'completed', exitCode: 7, output: 'out\nerr' });
    expect(result.text).toContain('[The command completed with exit code 7.]');
  });

  test('multi-line commands, quotes and here-documents run as one command', async () => {
    const dir = scratch();
    const command = [`mkdir -p ${dir} && cd ${dir}`, `cat > notes.txt <<'EOF'`, `it's "quoted" \\ $HOME`, 'EOF', 'cat notes.txt', 'cd - >/dev/null'].join('\n');
    expect(await outputOf(sandbox(), command)).toBe(`it's "quoted" \\ $HOME`);
  });

  test('a command longer than a tty line (> 4 KiB) arrives whole', async () => {
    const long = 'x'.repeat(20_000);
    expect(await outputOf(sandbox(), `v='${long}'; echo \${#v}`)).toBe('20000');
  });

  test('background jobs survive between commands', async () => {
    const box = sandbox();
    const started = await outputOf(box, 'sleep 60 &');
    expect(started).toMatch(/^\[1\] \d+$/);
    expect(await outputOf(box, 'jobs')).toMatch(/\[1\]\+\s+Running\s+sleep 60 &/);
    await outputOf(box, 'kill %1; wait %1 2>/dev/null; true');
  });

  test('interactive input: a read prompt is answered with is_input', async () => {
    const box = sandbox();
    const asked = await box.shell.execute({ command: 'read -p "Your name? " name; echo "Hello, $name!"' });
    expect(asked.status).toBe('still_running');
    expect(asked.exitCode).toBeNull();
    expect(asked.output).toContain('Your name?');
    expect(asked.text).toContain('[The command has no new output after 0.75 seconds.');
    expect(asked.text).toContain("sending empty command ''");
    expect(asked.text).toContain('`is_input`');
    const answered = await box.shell.execute({ command: 'Ada', is_input: 'true', timeout: 60 });
    expect(answered).toMatchObject({ status: 'completed', exitCode: 0, output: 'Hello, Ada!' });
    expect(answered.text).toContain('[Below is the output of the previous command.]');
  });

  test('C-c interrupts sleep 100 quickly', async () => {
    const box = sandbox();
    const running = await box.shell.execute({ command: 'sleep 100' });
    expect(running.status).toBe('still_running');
    const started = performance.now();
    const interrupted = await box.shell.execute({ command: 'C-c', is_input: 'true', timeout: 30 });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(interrupted).toMatchObject({ status: 'interrupted', exitCode: 130 });
    expect(interrupted.text).toContain('CTRL+C was sent.');
    expect(await outputOf(box, 'echo after')).toBe('after');
  });

  test('a new command while one runs is refused; an empty command shows new output', async () => {
    const box = sandbox();
    const started = await box.shell.execute({ command: 'echo first; read -r _; echo second' });
    expect(started.status).toBe('still_running');
    expect(started.output).toBe('first');

    const refused = await box.shell.execute({ command: 'echo other' });
    expect(refused.status).toBe('refused');
    expect(refused.text).toContain('[Your command "echo other" is NOT executed.');
    expect(refused.text).toContain('The previous command is still running');

    const nothingNew = await box.shell.execute({ command: '' });
    expect(nothingNew.status).toBe('still_running');
    expect(nothingNew.output).toBe('');

    const done = await box.shell.execute({ command: '', is_input: 'true', timeout: 1 });
    expect(done.status).toBe('timeout');
    const finished = await box.shell.execute({ command: 'go on', is_input: true, timeout: 60 });
    expect(finished).toMatchObject({ status: 'completed', exitCode: 0, output: 'second' });
  });

  test('with nothing running, empty commands and input are refused', async () => {
    const box = sandbox();
    const logs = await box.shell.execute({ command: '' });
    expect(logs.status).toBe('refused');
    expect(logs.text).toBe('ERROR: No previous running command to retrieve logs from.');
    const input = await box.shell.execute({ command: 'hello', is_input: 'true' });
    expect(input.status).toBe('refused');
    expect(input.text).toBe('ERROR: No previous running command to interact with.');
  });

  test('no-output timeout returns what the command printed so far; it keeps running', async () => {
    const box = sandbox();
    const partial = await box.shell.execute({ command: 'echo begin; read -r _; echo end' });
    expect(partial).toMatchObject({ status: 'still_running', output: 'begin', exitCode: null });
    const rest = await box.shell.execute({ command: 'x', is_input: 'true', timeout: 60 });
    expect(rest).toMatchObject({ status: 'completed', output: 'end' });
  });

  test('the hard timeout returns with a note and the process keeps running', async () => {
    const box = sandbox();
    const dir = scratch();
    const started = performance.now();
    const timedOut = await box.shell.execute({ command: `mkdir -p ${dir}; sleep 1000; touch ${dir}/never`, timeout: 0.5 });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(timedOut.status).toBe('timeout');
    expect(timedOut.text).toContain('[The command timed out after 0.5 seconds.');
    const stillThere = await box.shell.execute({ command: 'echo nope' });
    expect(stillThere.status).toBe('refused');
    const stopped = await box.shell.execute({ command: 'C-c', is_input: 'true', timeout: 30 });
    expect(stopped.status).toBe('interrupted');
  });

  test('output is streamed to onOutput while the command runs', async () => {
    const box = sandbox();
    const chunks: string[] = [];
    const result = await box.shell.execute(
      { command: 'for i in 1 2 3; do echo "tick $i"; read -r -t 0.05 _ </dev/null || true; done', timeout: 60 },
      { onOutput: (chunk) => chunks.push(chunk) },
    );
    expect(result.output).toBe('tick 1\ntick 2\ntick 3');
    expect(chunks.join('')).toContain('tick 3');
    expect(chunks.join('')).not.toContain('__METIS_');
  });

  test('subscribe sees output that arrives after the call returned; interrupt() stops the job', async () => {
    const box = sandbox();
    const seen: string[] = [];
    const unsubscribe = box.shell.subscribe((chunk) => seen.push(chunk));
    // "two" comes from the job that then runs on (exec), so C-c cannot fall between two jobs of the list.
    const first = await box.shell.execute({ command: 'echo one; sleep 1; (echo two; exec sleep 100)', timeout: 0.3 });
    expect(first).toMatchObject({ status: 'timeout', output: 'one' });
    await expect.poll(() => seen.join(''), { timeout: 20_000 }).toContain('two');
    unsubscribe();
    box.shell.interrupt();
    const rest = await box.shell.execute({ command: '', timeout: 30 });
    expect(rest).toMatchObject({ status: 'completed', exitCode: 130, output: 'two' });
  });

  test('huge output keeps head and tail on line boundaries, names the full-output file, which holds every line', async () => {
    const box = sandbox();
    const result = await run(box, 'seq 1 100000');
    expect(result.status).toBe('completed');
    const lines = result.output.split('\n');
    expect(lines[0]).toBe('1');
    expect(lines.at(-1)).toBe('100000');
    expect(result.output.length).toBeLessThanOrEqual(30_000 + 1_000);
    // Every shown line is a whole number line: cuts fall between lines.
    const note = lines.findIndex((line) => line.startsWith('[... Output truncated'));
    expect(note).toBeGreaterThan(0);
    expect([...lines.slice(0, note), ...lines.slice(note + 1)].every((line) => /^\d+$/.test(line))).toBe(true);
    const lastHead = Number(lines[note - 1]);
    const firstTail = Number(lines[note + 1]);
    expect(result.omittedLines).toBe(firstTail - lastHead - 1);
    expect(lines[note]).toContain(`${result.omittedLines} lines (lines ${lastHead + 1}-${firstTail - 1} of 100000,`);
    const path = result.fullOutputPath;
    expect(path).not.toBeNull();
    expect(lines[note]).toContain(`The full output (100000 lines) is saved in ${path}`);
    expect(path?.startsWith(`${box.workdir}/`)).toBe(false);
    expect(result.text).toContain(lines[note]);
    // The model can search it from the shell, as the sandbox user.
    expect(await outputOf(box, `wc -l < ${path}`)).toBe('100000');
    expect(await outputOf(box, `grep -n '^77777$' ${path}`)).toBe('77777:77777');
  });

  test('a second cut observation of a running command gets a file of its own', async () => {
    const box = sandbox();
    const first = await box.shell.execute({ command: 'seq 1 20000; read -r _; seq 20001 40000' });
    expect(first.status).toBe('still_running');
    expect(first.output.split('\n')[0]).toBe('1');
    const second = await box.shell.execute({ command: 'go', is_input: 'true', timeout: 60 });
    expect(second.status).toBe('completed');
    expect(second.output.split('\n').at(-1)).toBe('40000');
    expect(second.fullOutputPath).not.toBe(first.fullOutputPath);
    expect(await outputOf(box, `head -n 1 ${first.fullOutputPath}; head -n 1 ${second.fullOutputPath}; wc -l < ${second.fullOutputPath}`)).toBe(
      '1\n20001\n20000',
    );
  });

  test('progress bars, spinners and redraws are rendered as a terminal shows them, with no cut note', async () => {
    const box = sandbox();
    // npm/cargo style: erase the line, go to column 1, redraw; 300 frames of ~100 characters (> 30 000 in all).
    const bar = await run(
      box,
      `echo 'line before the bar'; for i in $(seq 1 300); do printf '\\033[2K\\033[1Gfetching %d/300 [%s]' "$i" "$(printf '%*s' $((60 + i % 60)) '' | tr ' ' '#')"; done; echo; echo 'after the bar'`,
    );
    expect(bar.output).toBe(`line before the bar\nfetching 300/300 [${'#'.repeat(60)}]\nafter the bar`);
    expect(bar).toMatchObject({ status: 'completed', cutChars: 0, omittedLines: 0, fullOutputPath: null });
    expect(bar.text).not.toContain('truncated');
    // Backspaces, pip-style carriage returns, a spinner, cursor-up redraws (docker pull).
    expect(await outputOf(box, "printf 'abc\\b\\bX\\n10%%\\r50%%\\r100%%\\n|\\b/\\b-\\bdone\\n'")).toBe('aXc\n100%\ndone');
    expect(await outputOf(box, "printf 'l1: waiting\\nl2: waiting\\n\\033[2A\\033[2Kl1: pulled\\n\\033[2Kl2: pulled\\n'")).toBe('l1: pulled\nl2: pulled');
    // Long lines come back whole (soft wraps joined); tabs stay tabs.
    expect(await outputOf(box, `printf '%0450d\\n' 7; printf 'a\\tb\\n'`)).toBe(`${'0'.repeat(449)}7\na\tb`);
  });

  test('unicode and binary-ish output come through; the shell keeps working', async () => {
    const box = sandbox();
    expect(await outputOf(box, "printf 'héllo wörld ✓ 日本語 😀\\n'")).toBe('héllo wörld ✓ 日本語 😀');
    const binary = await run(box, "printf 'a\\x00b\\x01c\\x1b[31mred\\x1b[0m\\xff\\xfe d\\n'");
    expect(binary.status).toBe('completed');
    expect(binary.output).toBe('abcred\uFFFD\uFFFD d');
    const noise = await run(box, 'head -c 20000 /dev/urandom');
    expect(noise.status).toBe('completed');
    expect(await outputOf(box, 'echo still fine')).toBe('still fine');
  });

  test('carriage-return progress collapses to the final state', async () => {
    expect(await outputOf(sandbox(), "printf '10%%\\r50%%\\r100%%\\ndone\\n'")).toBe('100%\ndone');
  });

  test('emoji output cut anywhere stays well-formed text; NUL never reaches the observation', async () => {
    const box = sandbox();
    // Lines of emoji with an odd prefix, long enough to be cut, and one line far over the budget.
    const many = await run(box, `for i in $(seq 1 2000); do printf 'x%.0s😀' {1..20}; echo " $i"; done`);
    expect(many.omittedLines).toBeGreaterThan(0);
    const long = await run(box, `printf 'x'; for i in $(seq 1 20000); do printf '😀'; done; printf '\\0\\n'`);
    expect(long.output).toMatch(/^x(😀)+ \[… \d+ more characters of this line\]/);
    for (const result of [many, long]) {
      expect(result.status).toBe('completed');
      expect(result.output.isWellFormed()).toBe(true);
      expect(result.text.isWellFormed()).toBe(true);
      expect(result.text).not.toContain('\0');
    }
  });

  test('a script that changes the prompt does not lock the shell; no prompt text or marker leaks', async () => {
    const box = sandbox();
    const dir = scratch();
    // The image's own rc file (what `source ~/.bashrc` reads on a Debian image), as the user's.
    expect(await outputOf(box, `mkdir -p ${dir} && cp /etc/skel/.bashrc ${dir}/skel-rc && echo copied`)).toBe('copied');
    const sourced = await run(box, `source ${dir}/skel-rc`);
    expect(sourced).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(await outputOf(box, 'echo after skel')).toBe('after skel');
    // Every prompt variable, scalar and array PROMPT_COMMAND that prints, and an rc that appends to it.
    await box.files.writeFile(
      `${dir}/noisy-rc`,
      [
        `PS1='\\u@\\h:\\w PROMPT-TEXT\\$ '`,
        `PS0='PS0-TEXT\\n'`,
        `PS2='PS2-TEXT> '`,
        `PROMPT_COMMAND='echo PC-TEXT; pc_runs=$((pc_runs + 1))'`,
        `PROMPT_COMMAND="echo PC2-TEXT; $PROMPT_COMMAND"`,
        `PROMPT_COMMAND+=('echo PC3-TEXT; PS1="late> "')`,
        '',
      ].join('\n'),
    );
    const noisy = await run(box, `source ${dir}/noisy-rc; pc_runs=0`);
    expect(noisy).toMatchObject({ status: 'completed', exitCode: 0, output: '' });
    const multi = await run(
      box,
      `cd ${dir}\necho "two
lines"; (exit 3)`,
    );
    expect(multi).toMatchObject({ status: 'completed', exitCode: 3, cwd: dir, output: 'two\nlines' });
    // The command's PROMPT_COMMAND still runs before each prompt (silently), as it would in a terminal.
    expect(await outputOf(box, 'echo "runs: $pc_runs"')).toMatch(/^runs: [1-9]\d*$/);
    for (const result of [sourced, noisy, multi]) {
      expect(result.text).not.toMatch(/PROMPT-TEXT|PS0-TEXT|PS2-TEXT|PC\d?-TEXT|late>|__METIS|__metis/);
    }
    // C-c right after a command changed the prompt again still ends the command.
    const running = await box.shell.execute({ command: "PS1='again> '; PROMPT_COMMAND='PS1=x'; sleep 100" });
    expect(running.status).toBe('still_running');
    const interrupted = await box.shell.execute({ command: 'C-c', is_input: 'true', timeout: 30 });
    expect(interrupted).toMatchObject({ status: 'interrupted', exitCode: 130 });
    expect(await outputOf(box, `unset PROMPT_COMMAND; cd ${box.workdir}; echo back`)).toBe('back');
    expect(box.shell.cwd).toBe(box.workdir);
  });

  test('a command that turns terminal echo back on does not show our command lines', async () => {
    const box = sandbox();
    expect((await run(box, 'stty sane')).status).toBe('completed');
    const after = await run(box, 'echo after sane');
    expect(after.output).toBe('after sane');
    expect(after.text).not.toContain('__metis');
    expect(await outputOf(box, 'echo still clean')).toBe('still clean');
  });

  test('when the shell itself stops answering, the hint names what recovers it (C-d), and it does', async () => {
    const box = sandbox();
    const dir = scratch();
    expect(await outputOf(box, `mkdir -p ${dir} && cd ${dir} && export RECOVER_VAR=kept`)).toBe('');
    // Another bash replaces ours: no marker will come back.
    const replaced = await box.shell.execute({ command: 'exec bash --norc --noprofile --noediting -i' });
    expect(replaced.status).toBe('still_running');
    const ctrlC = await box.shell.execute({ command: 'C-c', is_input: 'true', timeout: 1 });
    expect(ctrlC.status).toBe('timeout');
    expect(ctrlC.text).toContain('send "C-d" with `is_input` set to `true`');
    const ctrlD = await box.shell.execute({ command: 'C-d', is_input: 'true', timeout: 30 });
    expect(ctrlD.status).toBe('shell_restarted');
    expect(await outputOf(box, 'pwd; echo "$RECOVER_VAR"')).toBe(`${dir}\nkept`);
    await outputOf(box, `cd ${box.workdir}`);
  });

  test('setEnv after create exports into the shell, even while a command runs', async () => {
    const box = sandbox();
    const secret = `s3cr3t 'quoted' "double" $dollar \\ ${randomUUID()}`;
    await box.setEnv({ SUITE_SECRET: secret });
    expect(await outputOf(box, 'printf %s "$SUITE_SECRET"')).toBe(secret);
    expect(await outputOf(box, 'bash -c \'printf %s "$SUITE_SECRET"\'')).toBe(secret);

    const running = await box.shell.execute({ command: 'read -r _' });
    expect(running.status).toBe('still_running');
    await box.setEnv({ SUITE_LATE: 'late value' });
    await box.shell.execute({ command: 'C-c', is_input: 'true', timeout: 30 });
    expect(await outputOf(box, 'echo "$SUITE_LATE"')).toBe('late value');
    await expect(box.setEnv({ 'bad name': 'x' })).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  test('files: write and read whole files, also binary and nested', async () => {
    const box = sandbox();
    const dir = scratch();
    await box.files.writeFile(`${dir}/a/b/c.txt`, 'hello ✓\n');
    expect(new TextDecoder().decode(await box.files.readFile(`${dir}/a/b/c.txt`))).toBe('hello ✓\n');
    expect(await outputOf(box, `cat ${dir}/a/b/c.txt`)).toBe('hello ✓');
    const bytes = new Uint8Array(256).map((_, i) => i);
    await box.files.writeFile(`${dir}/bin.dat`, bytes);
    expect(Buffer.from(await box.files.readFile(`${dir}/bin.dat`)).equals(Buffer.from(bytes))).toBe(true);
    expect(await box.files.stat(`${dir}/bin.dat`)).toEqual({ kind: 'file', sizeBytes: 256 });
    expect(await box.files.stat(`${dir}/a`)).toMatchObject({ kind: 'directory' });
    expect(await box.files.stat(`${dir}/missing`)).toBeNull();
    const entries = await box.files.readDir(dir);
    expect(entries.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { name: 'a', kind: 'directory' },
      { name: 'bin.dat', kind: 'file' },
    ]);
    // Rewriting keeps the permission bits.
    await outputOf(box, `chmod 755 ${dir}/a/b/c.txt`);
    await box.files.writeFile(`${dir}/a/b/c.txt`, '#!/bin/sh\necho run\n');
    expect(await outputOf(box, `${dir}/a/b/c.txt`)).toBe('run');
  });

  test('files: upload and download a directory tree (round trip)', async () => {
    const box = sandbox();
    const source = await mkdtemp(join(tmpdir(), 'metis-up-'));
    const target = await mkdtemp(join(tmpdir(), 'metis-down-'));
    hostDirs.push(source, target);
    await mkdir(join(source, 'src/deep'), { recursive: true });
    await mkdir(join(source, 'empty'));
    await writeFile(join(source, 'README.md'), '# hi\n');
    await writeFile(join(source, 'src/deep/data.bin'), Buffer.from([0, 1, 2, 255, 254]));
    await writeFile(join(source, 'src/.hidden'), 'secret\n');
    await writeFile(join(source, 'src/run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    await symlink('README.md', join(source, 'link.md'));

    const dir = scratch();
    await box.files.uploadDir(source, dir);
    expect(await outputOf(box, `cd ${dir} && find . | LC_ALL=C sort && cat link.md && ./src/run.sh; cd - >/dev/null`)).toBe(
      ['.', './README.md', './empty', './link.md', './src', './src/.hidden', './src/deep', './src/deep/data.bin', './src/run.sh', '# hi', 'ran'].join('\n'),
    );

    await outputOf(box, `echo made-inside > ${dir}/src/new.txt`);
    await box.files.downloadDir(dir, target);
    expect(await readFile(join(target, 'README.md'), 'utf8')).toBe('# hi\n');
    expect((await readFile(join(target, 'src/deep/data.bin'))).equals(Buffer.from([0, 1, 2, 255, 254]))).toBe(true);
    expect(await readFile(join(target, 'src/.hidden'), 'utf8')).toBe('secret\n');
    expect(await readFile(join(target, 'src/new.txt'), 'utf8')).toBe('made-inside\n');
    expect(await readlink(join(target, 'link.md'))).toBe('README.md');
  });
}

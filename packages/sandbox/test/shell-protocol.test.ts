import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { cleanTerminalOutput } from '../src/shell/clean-terminal-output.ts';
import { quoteForBashLine } from '../src/shell/encode-bash-line.ts';
import { OutputBuffer } from '../src/shell/output-buffer.ts';
import { exportStatement, ShellProtocol } from '../src/shell/shell-protocol.ts';
import { specialKeyChar } from '../src/shell/special-keys.ts';

const bashPrintf = (quoted: string) => spawnSync('bash', ['--norc', '--noprofile', '-c', `printf %s ${quoted}`], { encoding: 'utf8' }).stdout;

describe('quoteForBashLine', () => {
  test('any text comes back from bash unchanged, with no control character on the wire', () => {
    const text = `plain 'single' "double" \\back $HOME \`tick\` \n\ttab \x03\x04\x1a\x7f é ✓ 😀 !history`;
    const quoted = quoteForBashLine(text);
    expect(quoted).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(bashPrintf(quoted)).toBe(text);
  });

  test('long text is split into physical lines a tty accepts', () => {
    const text = `${'a'.repeat(5000)}${'é'.repeat(3000)}${'😀'.repeat(1000)}`;
    const quoted = quoteForBashLine(text);
    for (const line of quoted.split('\n')) expect(Buffer.byteLength(line)).toBeLessThan(4095);
    expect(bashPrintf(quoted)).toBe(text);
  });

  test('exportStatement quotes values', () => {
    expect(bashPrintf(`"$(${exportStatement({ A: "it's $x" })}; printf %s "$A")"`)).toBe("it's $x");
  });
});

describe('ShellProtocol', () => {
  const protocol = new ShellProtocol('abc123');
  const marker = (id: number, code: number, cwd: string) => `\n__METIS_abc123__ ${id} ${code} ${cwd} __METIS_abc123_END__\n`;

  test('finds a marker with its id, exit code and cwd (spaces allowed)', () => {
    const text = `output\n${marker(7, 2, '/work/my dir')}rest`;
    const found = protocol.findMarker(text);
    expect(found).toMatchObject({ commandId: 7, exitCode: 2, cwd: '/work/my dir', index: 'output\n'.length });
    expect(text.slice((found?.index ?? 0) + (found?.length ?? 0))).toBe('rest');
  });

  test('the PS1 source (echo $PS1) is not taken for a marker', () => {
    expect(protocol.findMarker('\\n__METIS_abc123__ ${__metis_cid} ${__metis_ec} ${PWD} __METIS_abc123_END__\\n')).toBeNull();
  });

  test('holds back only what could still become a marker', () => {
    expect(protocol.holdBackLength('hello\n')).toBe(0);
    expect(protocol.holdBackLength('hello\n__MET')).toBe(5);
    expect(protocol.holdBackLength('hello__MET')).toBe(0);
    expect(protocol.holdBackLength('x\n__METIS_abc123__ 3 0 /wor')).toBe('__METIS_abc123__ 3 0 /wor'.length);
    expect(protocol.holdBackLength(`x${marker(1, 0, '/')}`)).toBe(0);
  });

  test('a marker split across any two chunks is found', () => {
    const whole = `out${marker(4, 0, '/tmp')}`;
    for (let cut = 0; cut <= whole.length; cut++) {
      let pending = whole.slice(0, cut);
      let emitted = '';
      const hold = protocol.holdBackLength(pending);
      if (!protocol.findMarker(pending)) {
        emitted += pending.slice(0, pending.length - hold);
        pending = pending.slice(pending.length - hold);
      }
      pending += whole.slice(cut);
      const found = protocol.findMarker(pending);
      expect(found?.commandId, `cut at ${cut}`).toBe(4);
      emitted += pending.slice(0, found?.index);
      expect(emitted.replace(/\n$/, '')).toBe('out');
    }
  });

  test('reads the start note', () => {
    expect(protocol.parseStartNote('junk\n__METIS_abc123_NOTE__ restored=1 lost_jobs=3\n')).toEqual({ restored: true, lostJobs: 3 });
    expect(protocol.parseStartNote('nothing')).toEqual({ restored: false, lostJobs: 0 });
  });
});

describe('OutputBuffer', () => {
  test('keeps the last characters and counts what it cut', () => {
    const buffer = new OutputBuffer(10);
    for (let i = 0; i < 100; i++) buffer.append(`${i % 10}\n`);
    const taken = buffer.take();
    expect(taken.text).toBe('5\n6\n7\n8\n9\n');
    expect(taken).toMatchObject({ cutChars: 190, cutLines: 95 });
    expect(buffer.take()).toEqual({ text: '', cutChars: 0, cutLines: 0 });
  });
});

describe('cleanTerminalOutput', () => {
  test('drops escape sequences and control characters, collapses carriage returns', () => {
    expect(cleanTerminalOutput('\x1b[1;31mred\x1b[0m \x1b]0;title\x07plain\x00\x08')).toBe('red plain');
    expect(cleanTerminalOutput('10%\r50%\r100%\r\nnext\r\n')).toBe('100%\nnext\n');
    expect(cleanTerminalOutput('tab\tkept\n')).toBe('tab\tkept\n');
  });
});

describe('specialKeyChar', () => {
  test('maps tmux key names to control characters', () => {
    expect(specialKeyChar('C-c')).toBe('\x03');
    expect(specialKeyChar('C-d')).toBe('\x04');
    expect(specialKeyChar('C-z')).toBe('\x1a');
    expect(specialKeyChar('C-\\')).toBe('\x1c');
    expect(specialKeyChar('c')).toBeNull();
    expect(specialKeyChar('C-cc')).toBeNull();
  });
});

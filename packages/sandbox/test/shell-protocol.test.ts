import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { EchoFilter } from '../src/shell/echo-filter.ts';
import { quoteForBashLine } from '../src/shell/encode-bash-line.ts';
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

  test('finds a marker with \\r\\n line ends (after `stty sane` turned onlcr on)', () => {
    const text = `out\r\n__METIS_abc123__ 2 0 /w __METIS_abc123_END__\r\nrest`;
    const found = protocol.findMarker(text);
    expect(found).toMatchObject({ commandId: 2, exitCode: 0, cwd: '/w', index: 'out'.length });
    expect(text.slice((found?.index ?? 0) + (found?.length ?? 0))).toBe('rest');
    expect(protocol.holdBackLength('x\r\n__METIS_abc123__ 2 0 /w __METIS_abc123_END__\r')).toBe('__METIS_abc123__ 2 0 /w __METIS_abc123_END__\r'.length);
  });

  test('the PS1 source (echo $PS1) is not taken for a marker', () => {
    expect(protocol.findMarker('\\n__METIS_abc123__ ${__metis_id} ${__metis_st:-$?} ${PWD} __METIS_abc123_END__\\n')).toBeNull();
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

describe('EchoFilter', () => {
  test('removes the echo of our line (also with \\r\\n line ends) and passes the rest', () => {
    const filter = new EchoFilter('{ __metis_id=3;} x\\\nmore\n');
    expect(filter.filter('{ __metis_id=3;} x\\\r\nmo')).toBe('');
    expect(filter.filter('re\r\noutput\n')).toBe('output\n');
    expect(filter.hasEcho).toBe(true);
    expect(filter.filter('{ __metis_id=3;}')).toBe('{ __metis_id=3;}');
  });

  test('output that is not the echo passes whole', () => {
    const filter = new EchoFilter('{ __metis_id=4;}\n');
    expect(filter.filter('hello\n')).toBe('hello\n');
    expect(filter.hasEcho).toBe(false);
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

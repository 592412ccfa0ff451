import { describe, expect, test } from 'vitest';
import { CommandTranscript } from '../src/shell/command-transcript.ts';
import { OutputCollector } from '../src/shell/output-collector.ts';
import { boundaryAtOrAfter, codePointBoundary, graphemeBoundary, headOf, tailOf } from '../src/text/cut-text.ts';

const LIMITS = { headChars: 15_000, tailChars: 15_000, fullMaxBytes: 10 * 1024 * 1024 };

/** What one observation of `raw` shows. */
async function rendered(raw: string | string[], limits = LIMITS): Promise<string> {
  const transcript = new CommandTranscript(limits);
  for (const chunk of Array.isArray(raw) ? raw : [raw]) transcript.write(chunk);
  const taken = await transcript.take();
  transcript.dispose();
  return [...taken.head, ...taken.tail].join('\n');
}

const isWellFormed = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe('terminal rendering (CommandTranscript)', () => {
  test('carriage return, backspace, erase-line and cursor-column sequences are applied, not stripped', async () => {
    expect(await rendered('10%\r50%\r100%\ndone\n')).toBe('100%\ndone');
    expect(await rendered('abc\b\bX\n')).toBe('aXc');
    expect(await rendered('fetching 1/300\x1b[2K\x1b[1Gfetching 2/300\n')).toBe('fetching 2/300');
    expect(await rendered('spinner ⠋\x1b[1G\x1b[0Kspinner ⠙\x1b[10D\x1b[Kok\n')).toBe('ok');
    expect(await rendered('\x1b[1;31mred\x1b[0m \x1b]0;title\x07plain\x00\n')).toBe('red plain');
  });

  test('a line printed just before a long progress bar is kept, and the bar shows its last frame once', async () => {
    const frames = Array.from({ length: 300 }, (_, i) => `\x1b[2K\rfetching ${i + 1}/300 [${'#'.repeat(60 + (i % 60))}]`);
    expect(frames.join('').length).toBeGreaterThan(30_000);
    expect(await rendered(['first line\n', ...frames, '\nafter\n'])).toBe(`first line\nfetching 300/300 [${'#'.repeat(119)}]\nafter`);
  });

  test('cursor-up redraws (docker pull style) end in their final state, also when plain text came first', async () => {
    const raw = 'a: waiting\nb: waiting\nc: waiting\n\x1b[3A\x1b[2Ka: done\n\x1b[1B\x1b[2Kc: done\n';
    expect(await rendered(raw)).toBe('a: done\nb: waiting\nc: done');
    expect(await rendered(['a: waiting\nb: waiting\nc: waiting\n', '\x1b[3A\x1b[2Ka: done\n\x1b[1B\x1b[2Kc: done\n'])).toBe('a: done\nb: waiting\nc: done');
    // After more than a screenful of plain lines, the redraw reaches the last lines on the screen.
    const many = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`);
    expect(await rendered([`${many.join('\n')}\n`, '\x1b[2A\x1b[2Kline 119 redrawn\n'])).toBe(
      [...many.slice(0, 118), 'line 119 redrawn', 'line 120'].join('\n'),
    );
  });

  test('soft-wrapped lines are joined, wide characters and tabs kept, trailing spaces dropped', async () => {
    const long = 'x'.repeat(450);
    expect(await rendered(`${long}\n`)).toBe(long);
    expect(await rendered(`${'y'.repeat(199)}中文 end\n`)).toBe(`${'y'.repeat(199)}中文 end`);
    expect(await rendered('a\tb\n1234567\tx\t \ty\n')).toBe('a\tb\n1234567\tx\t \ty');
    expect(await rendered('trailing   \n')).toBe('trailing');
  });

  test('nothing is lost to the scrollback however long the output is', async () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `line ${i + 1}:${'x'.repeat(i % 300)}`);
    const huge = { headChars: 1e9, tailChars: 1e9, fullMaxBytes: 1 };
    expect(await rendered(`${lines.join('\n')}\n`, huge)).toBe(lines.join('\n'));
    // The same through the emulator (a colour code makes it more than plain text).
    expect(await rendered(`\x1b[0m${lines.join('\n')}\n`, huge)).toBe(lines.join('\n'));
  });

  test('a later observation shows only what is new, and a redrawn line in its new state', async () => {
    const transcript = new CommandTranscript(LIMITS);
    transcript.write('Your name? ');
    expect((await transcript.take()).head).toEqual(['Your name?']);
    transcript.write('Hello, Ada!\n');
    expect((await transcript.take()).head).toEqual(['Hello, Ada!']);
    transcript.write('progress 10%');
    expect((await transcript.take()).head).toEqual(['progress 10%']);
    transcript.write('\rprogress 90%');
    expect((await transcript.take()).head).toEqual(['progress 90%']);
    transcript.write('\rprogress 100%\nnext\n');
    expect((await transcript.take()).head).toEqual(['progress 100%', 'next']);
    transcript.dispose();
  });
});

describe('OutputCollector', () => {
  test('keeps head and tail on line boundaries and counts what it left out', () => {
    const collector = new OutputCollector({ headChars: 20, tailChars: 20, fullMaxBytes: 1_000 });
    for (let i = 1; i <= 100; i++) collector.add(`n${i}`);
    const taken = collector.take();
    expect(taken.head).toEqual(['n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
    expect(taken.tail).toEqual(['n97', 'n98', 'n99', 'n100']);
    expect(taken).toMatchObject({ omittedLines: 90, omittedChars: 3 * 3 + 87 * 4, totalLines: 100, cutLines: 0 });
    expect(
      Buffer.from(taken.full?.data ?? [])
        .toString()
        .split('\n').length,
    ).toBe(101);
    expect(taken.full?.isComplete).toBe(true);
    expect(collector.take()).toMatchObject({ head: [], tail: [], totalLines: 0, full: null });
  });

  test('output that fits in head + tail together is shown whole', () => {
    const collector = new OutputCollector({ headChars: 10, tailChars: 10, fullMaxBytes: 1_000 });
    for (const line of ['aaaa', 'bbbb', 'cccc', 'dddd']) collector.add(line);
    expect(collector.take()).toMatchObject({ head: ['aaaa', 'bbbb', 'cccc', 'dddd'], tail: [], omittedLines: 0, full: null });
  });

  test('an overlong line is cut on a grapheme boundary and counted; the full output keeps whole lines up to its cap', () => {
    const collector = new OutputCollector({ headChars: 120, tailChars: 120, fullMaxBytes: 300 });
    collector.add(`${'a'.repeat(51)}${'😀'.repeat(200)}`);
    collector.add('short');
    const taken = collector.take();
    expect(taken.cutLines).toBe(1);
    expect(taken.head[0]).toMatch(/^a{51}(😀)+ \[… \d+ more characters of this line\]$/);
    expect((taken.head[0] ?? '').length).toBeLessThanOrEqual(120);
    expect(isWellFormed(taken.head[0] ?? '')).toBe(true);
    expect(taken.full).toMatchObject({ lines: 0, isComplete: false });
    expect(taken.full?.data.byteLength).toBe(0);
  });
});

describe('cutting text', () => {
  const family = '👩‍👩‍👧‍👦';
  test('never splits a surrogate pair or a grapheme cluster', () => {
    const text = `ab😀cd${family}é̂f`;
    for (let n = 0; n <= text.length; n++) {
      const head = headOf(text, n);
      const tail = tailOf(text, n);
      expect(head.length).toBeLessThanOrEqual(n);
      expect(tail.length).toBeLessThanOrEqual(n);
      expect(isWellFormed(head) && isWellFormed(tail)).toBe(true);
      expect(text.startsWith(head) && text.endsWith(tail)).toBe(true);
      expect(head.endsWith('\u200d')).toBe(false);
    }
    expect(headOf(text, 3)).toBe('ab');
    expect(headOf(text, 8)).toBe('ab😀cd');
    expect(tailOf(text, 4)).toBe('é̂f');
  });

  test('boundaries', () => {
    expect(codePointBoundary('a😀', 2)).toBe(1);
    expect(graphemeBoundary(`x${family}`, 4)).toBe(1);
    expect(boundaryAtOrAfter(`x${family}y`, 4)).toBe(1 + family.length);
    expect(boundaryAtOrAfter('a😀b', 2)).toBe(3);
  });
});

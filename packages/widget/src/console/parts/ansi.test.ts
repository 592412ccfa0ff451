import { describe, expect, test } from 'vitest';
import { ansiText, parseAnsi } from './ansi.ts';

describe('parseAnsi', () => {
  test('colours, bright colours, bold and resets become segments', () => {
    expect(parseAnsi('plain \u001b[31mred\u001b[0m \u001b[1;92mbold green\u001b[22m thin\u001b[39m done')).toEqual([
      { text: 'plain ', fg: undefined, bg: undefined, bold: false },
      { text: 'red', fg: 1, bg: undefined, bold: false },
      { text: ' ', fg: undefined, bg: undefined, bold: false },
      { text: 'bold green', fg: 10, bg: undefined, bold: true },
      { text: ' thin', fg: 10, bg: undefined, bold: false },
      { text: ' done', fg: undefined, bg: undefined, bold: false },
    ]);
  });

  test('256-colour indexes below 16 and backgrounds; other escapes are dropped', () => {
    expect(parseAnsi('\u001b[38;5;4mblue\u001b[48;5;3m on yellow\u001b[49m\u001b[2K\u001b]0;title\u0007!')).toEqual([
      { text: 'blue', fg: 4, bg: undefined, bold: false },
      { text: ' on yellow', fg: 4, bg: 3, bold: false },
      { text: '!', fg: 4, bg: undefined, bold: false },
    ]);
  });

  test('carriage returns: CRLF is a newline, a redrawn line keeps its last version', () => {
    expect(ansiText('a\r\nprogress 10%\rprogress 100%\nend')).toBe('a\nprogress 100%\nend');
  });

  test('a bare reset and an empty input', () => {
    expect(parseAnsi('\u001b[mx')).toEqual([{ text: 'x', fg: undefined, bg: undefined, bold: false }]);
    expect(parseAnsi('')).toEqual([]);
  });
});

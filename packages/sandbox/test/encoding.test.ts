import iconv from 'iconv-lite';
import { describe, expect, test } from 'vitest';
import { decodeFile, encodeFile, TINY_NON_ASCII_BYTES, UnrepresentableError } from '../src/editor/encoding.ts';

const decoded = async (bytes: Uint8Array) => {
  const result = await decodeFile(bytes);
  if ('binary' in result) throw new Error(`binary: ${result.binary}`);
  return { text: result.text, name: result.encoding.name, isGuess: result.encoding.isGuess };
};

describe('decodeFile', () => {
  test('UTF-8 (ASCII included) is UTF-8; NUL bytes are binary', async () => {
    expect(await decoded(Buffer.from('plain ✓\n'))).toEqual({ text: 'plain ✓\n', name: 'utf-8', isGuess: false });
    expect(await decodeFile(Buffer.from('a\0b'))).toEqual({ binary: 'it contains NUL bytes' });
  });

  test('the tiny-file rule: Western accents read as Windows-1252, runs of non-ASCII bytes as the detector says', async () => {
    for (const text of ['café\n', 'Ça coûte très cher à Noël\n', 'Müller, Größe, Übermaß\n', 'Copyright © 2009\n']) {
      const bytes = iconv.encode(text, 'latin1');
      expect(bytes.filter((byte) => byte >= 0x80).length).toBeLessThan(TINY_NON_ASCII_BYTES);
      expect(await decoded(bytes)).toEqual({ text, name: 'windows-1252', isGuess: true });
    }
    expect(await decoded(iconv.encode('Привет\n', 'win1251'))).toEqual({ text: 'Привет\n', name: 'windows-1251', isGuess: true });
    expect(await decoded(iconv.encode('日本語のテキスト\n', 'shift_jis'))).toMatchObject({ text: '日本語のテキスト\n', isGuess: true });
  });

  test('with enough non-ASCII text the detector decides', async () => {
    const text = 'Привет мир, это тестовая строка для проверки кодировки\n';
    expect(await decoded(iconv.encode(text, 'koi8-r'))).toEqual({ text, name: 'koi8-r', isGuess: false });
  });

  test('byte-order marks decide, and are not part of the text', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hé\r\n', 'utf16le')]);
    expect(await decoded(le)).toEqual({ text: 'hé\r\n', name: 'utf-16le', isGuess: false });
    const result = await decodeFile(le);
    expect('encoding' in result && Buffer.from(encodeFile('hé\r\n', result.encoding)).equals(le)).toBe(true);
  });

  test('encoding refuses what the encoding cannot represent', async () => {
    expect(() => encodeFile('€ 中', { name: 'windows-1252', bom: new Uint8Array(0), isGuess: false })).toThrow(UnrepresentableError);
    expect(Buffer.from(encodeFile('€ é', { name: 'windows-1252', bom: new Uint8Array(0), isGuess: false }))).toEqual(Buffer.from([0x80, 0x20, 0xe9]));
  });
});

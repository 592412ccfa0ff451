import { ERROR_CODES, EVENT_ERROR_CODES, STATE_REASONS } from '@metisai/sdk/schemas';
import { describe, expect, test } from 'vitest';
import { CATALOGS, errorText, LANGUAGES, resolveLanguage } from './messages.ts';

describe('the message catalog', () => {
  test.each(LANGUAGES)('%s translates every error code of the SDK (HTTP and event codes) and every error reason', (language) => {
    const errors = CATALOGS[language].errors as Record<string, string>;
    const reasons = STATE_REASONS.filter((reason) => (EVENT_ERROR_CODES as readonly string[]).includes(reason));
    for (const code of [...ERROR_CODES, ...EVENT_ERROR_CODES, ...reasons]) {
      expect(errors[code], `${language}: ${code}`).toEqual(expect.stringMatching(/\S/));
    }
  });

  test('both languages have the same keys, and Chinese is not English', () => {
    const [en, zh] = [CATALOGS.en, CATALOGS.zh];
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    expect(Object.keys(zh.errors).sort()).toEqual(Object.keys(en.errors).sort());
    for (const code of ERROR_CODES) expect(zh.errors[code]).toMatch(/[\u4e00-\u9fff]/);
  });

  test('an unknown code (a newer server’s) gets the generic sentence', () => {
    expect(errorText(CATALOGS.en, 'quota_exceeded_in_2030')).toBe(CATALOGS.en.errors.unknown_error);
  });

  test('`auto` follows the browser’s languages; an unknown locale falls back to English', () => {
    expect(resolveLanguage('auto', ['zh-CN', 'en'])).toBe('zh');
    expect(resolveLanguage('auto', ['fr-FR', 'zh-TW'])).toBe('zh');
    expect(resolveLanguage(undefined, ['de'])).toBe('en');
    expect(resolveLanguage('zh', ['en'])).toBe('zh');
    expect(resolveLanguage('ja', ['zh'])).toBe('en');
  });
});

import { describe, expect, test } from 'vitest';
import { CONSOLE_CATALOGS } from '../i18n/console-messages.ts';
import { conversationTitle } from './conversation-title.ts';

const forkedFrom = { conversation_id: '5d3c7a52-6f0e-4a57-9a34-2c1f0e9a7b10', seq: 12 };

describe('conversationTitle', () => {
  test('a conversation keeps its title, or is untitled', () => {
    expect(conversationTitle({ title: 'Build the site', forked_from: null }, CONSOLE_CATALOGS.en)).toBe('Build the site');
    expect(conversationTitle({ title: null, forked_from: null }, CONSOLE_CATALOGS.en, 'hello')).toBe('Untitled conversation');
  });

  test('a fork says so, with its step: its title, else its first message, else untitled (en, zh)', () => {
    expect(conversationTitle({ title: 'Build the site', forked_from: forkedFrom }, CONSOLE_CATALOGS.en)).toBe('Build the site (fork at step 12)');
    expect(conversationTitle({ title: null, forked_from: forkedFrom }, CONSOLE_CATALOGS.en, '  fix the tests\nand more')).toBe(
      'fix the tests (fork at step 12)',
    );
    expect(conversationTitle({ title: null, forked_from: forkedFrom }, CONSOLE_CATALOGS.en)).toBe('Untitled conversation (fork at step 12)');
    expect(conversationTitle({ title: null, forked_from: forkedFrom }, CONSOLE_CATALOGS.zh, '修复测试')).toBe('修复测试（分叉自第 12 步）');
    const long = conversationTitle({ title: null, forked_from: forkedFrom }, CONSOLE_CATALOGS.en, 'a'.repeat(100));
    expect(long).toBe(`${'a'.repeat(59)}… (fork at step 12)`);
  });
});

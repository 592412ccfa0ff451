import { AGENT_STATUSES, API_KEY_SCOPES, CONVERSATION_STATES, LLM_ERROR_CODES, TOOL_NAMES } from '@metisai/sdk/schemas';
import { describe, expect, test } from 'vitest';
import { LANGUAGES } from '../../shared/i18n/messages.ts';
import { CONSOLE_CATALOGS } from './console-messages.ts';

/** Every key path of a catalog (functions are leaves). */
const keysOf = (value: unknown, prefix = ''): string[] =>
  value && typeof value === 'object' ? Object.entries(value).flatMap(([key, child]) => keysOf(child, prefix ? `${prefix}.${key}` : key)) : [prefix];

describe('the console’s catalog', () => {
  test('both languages have the same words, and Chinese is not English', () => {
    expect(keysOf(CONSOLE_CATALOGS.zh).sort()).toEqual(keysOf(CONSOLE_CATALOGS.en).sort());
    expect(CONSOLE_CATALOGS.zh.titles.dashboard).toMatch(/[\u4e00-\u9fff]/);
  });

  test.each(LANGUAGES)('%s names every LLM test error, conversation state, agent status, tool and scope of the SDK', (language) => {
    const text = CONSOLE_CATALOGS[language];
    for (const code of LLM_ERROR_CODES) expect(text.llmErrors[code], code).toMatch(/\S/);
    for (const state of CONVERSATION_STATES) expect(text.states[state], state).toMatch(/\S/);
    for (const status of AGENT_STATUSES) expect(text.statuses[status], status).toMatch(/\S/);
    for (const tool of TOOL_NAMES) expect(text.toolNames[tool], tool).toMatch(/\S/);
    for (const scope of API_KEY_SCOPES) expect(text.scopeNames[scope], scope).toMatch(/\S/);
  });
});

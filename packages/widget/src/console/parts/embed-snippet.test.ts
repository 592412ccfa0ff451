import { expect, test } from 'vitest';
import { embedSnippet } from './embed-snippet.ts';

test('the snippet loads the versioned IIFE from the server and names the agent and key, escaped', () => {
  expect(embedSnippet({ origin: 'https://metis.example.com', version: '0.1.0', agentId: 'a1', publishableKey: 'pk_x' })).toBe(
    '<script src="https://metis.example.com/widget/0.1.0/metis-chat.iife.js" defer></script>\n' +
      '<metis-chat server="https://metis.example.com" agent="a1" publishable-key="pk_x"></metis-chat>',
  );
  expect(embedSnippet({ origin: 'https://m.example', version: '1', agentId: '"><script>', publishableKey: 'a&b' })).toContain(
    'agent="&quot;>&lt;script>" publishable-key="a&amp;b"',
  );
});

import { expect, test } from 'vitest';
import { OTHER_PROVIDER, ProviderLabels } from './provider-labels.ts';

test('a provider is its host; hosts past the first few are grouped as other', () => {
  const labels = new ProviderLabels(2);
  expect(labels.label('https://api.openai.com/v1')).toBe('api.openai.com');
  expect(labels.label('http://127.0.0.1:11434/v1')).toBe('127.0.0.1:11434');
  expect(labels.label('https://openrouter.ai/api/v1')).toBe(OTHER_PROVIDER);
  // Known hosts keep their label, whatever the path or case.
  expect(labels.label('https://API.openai.com/v1/')).toBe('api.openai.com');
  expect(labels.label('not a url')).toBe(OTHER_PROVIDER);
});

import { describe, expect, test } from 'vitest';
import { ThinkTagSplitter } from './think-tag-splitter.ts';

const split = (chunks: string[]) => {
  const splitter = new ThinkTagSplitter();
  const out = { text: '', reasoning: '', pieces: [] as string[] };
  for (const chunk of [...chunks.map((c) => splitter.push(c)), splitter.flush()]) {
    out.text += chunk.text;
    out.reasoning += chunk.reasoning;
    out.pieces.push(chunk.text);
  }
  return out;
};

describe('ThinkTagSplitter', () => {
  test('tags split across chunks are held back until whole and never reach the answer', () => {
    const out = split(['<th', 'ink>plan', ' it</th', 'ink>\nAnswer']);
    expect(out).toMatchObject({ text: 'Answer', reasoning: 'plan it' });
    expect(out.pieces.join('|')).not.toMatch(/[<>]/);
  });

  test('text without tags passes through; a lone < is released when the stream ends', () => {
    expect(split(['a < b', ' and c <'])).toMatchObject({ text: 'a < b and c <', reasoning: '' });
  });

  test('an unclosed block stays reasoning', () => {
    expect(split(['<think>still thinking'])).toMatchObject({ text: '', reasoning: 'still thinking' });
  });
});

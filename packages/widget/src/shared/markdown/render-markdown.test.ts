import { describe, expect, test } from 'vitest';
import { decodeEntities, imageSource, safeLinkUrl } from './render-markdown.ts';

describe('markdown helpers', () => {
  test('links: http(s) and mailto only, absolute', () => {
    expect(safeLinkUrl('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(safeLinkUrl('mailto:me@example.com')).toBe('mailto:me@example.com');
    expect(safeLinkUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeLinkUrl('JaVaScRiPt:alert(1)')).toBeUndefined();
    expect(safeLinkUrl('data:text/html,<script>')).toBeUndefined();
    expect(safeLinkUrl('/relative/path')).toBeUndefined();
    expect(safeLinkUrl('not a url at all')).toBeUndefined();
  });

  test('images load only from allowed hosts', () => {
    expect(imageSource('https://img.example.com/a.png', ['img.example.com'])).toEqual({ src: 'https://img.example.com/a.png', host: 'img.example.com' });
    expect(imageSource('https://tracker.example.net/p.gif', ['img.example.com'])).toEqual({ host: 'tracker.example.net' });
    expect(imageSource('data:image/png;base64,AAAA', ['img.example.com']).src).toBeUndefined();
    expect(imageSource('/local.png', ['img.example.com']).src).toBeUndefined();
  });

  test('entities CommonMark keeps in text are decoded (and shown as text)', () => {
    expect(decodeEntities('a &amp; b &lt;tag&gt; &#39;q&#x27; &quot;')).toBe(`a & b <tag> 'q' "`);
    expect(decodeEntities('&copy; &unknown; & alone')).toBe('&copy; &unknown; & alone');
  });
});

// An esbuild plugin for the widget's own sources: esbuild minifies code but leaves template literals alone, so the
// text of `html` and `css` templates is squeezed here. Runs of whitespace that hold a line break become one space
// (the same rendering: HTML collapses whitespace, and the widget's templates put no literal text inside <pre>);
// in `css` templates, spaces around `{ } ; : ,` and comments go too.
import { readFile } from 'node:fs/promises';

/** The end (index of the closing backtick) of the template literal whose text starts at `start`. */
function scanTemplate(source, start, onText) {
  let index = start;
  let textStart = start;
  while (index < source.length) {
    const char = source[index];
    if (char === '\\') {
      index += 2;
      continue;
    }
    if (char === '`') {
      onText(textStart, index);
      return index;
    }
    if (char === '$' && source[index + 1] === '{') {
      onText(textStart, index);
      index = scanExpression(source, index + 2);
      textStart = index;
      continue;
    }
    index += 1;
  }
  throw new Error('unterminated template literal');
}

/** The index after the `}` closing an expression that starts at `start` (strings and nested templates skipped). */
function scanExpression(source, start) {
  let depth = 1;
  let index = start;
  while (index < source.length) {
    const char = source[index];
    if (char === '"' || char === "'") {
      index += 1;
      while (source[index] !== char) index += source[index] === '\\' ? 2 : 1;
    } else if (char === '`') {
      index = scanTemplate(source, index + 1, () => {});
    } else if (char === '/' && source[index + 1] === '/') {
      while (source[index] !== '\n') index += 1;
    } else if (char === '{') depth += 1;
    else if (char === '}') {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
    index += 1;
  }
  throw new Error('unterminated template expression');
}

const squeezeHtml = (text) => text.replace(/\s*\n\s*/g, ' ');
const squeezeCss = (text) =>
  text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{};,])\s*/g, '$1')
    .replace(/:\s+/g, ':');

/** Squeezes the `html` and `css` templates of one source file. */
export function minifyTemplates(source) {
  const edits = [];
  const tag = /\b(html|css)`/g;
  for (let match = tag.exec(source); match; match = tag.exec(source)) {
    const squeeze = match[1] === 'css' ? squeezeCss : squeezeHtml;
    const end = scanTemplate(source, match.index + match[0].length, (from, to) => edits.push({ from, to, text: squeeze(source.slice(from, to)) }));
    tag.lastIndex = end + 1;
  }
  // Nested templates are inside expressions, which are left as they are: apply edits back to front.
  let result = source;
  for (const { from, to, text } of edits.sort((a, b) => b.from - a.from)) result = result.slice(0, from) + text + result.slice(to);
  return result;
}

export const minifyTemplatesPlugin = (filter) => ({
  name: 'minify-templates',
  setup(build) {
    build.onLoad({ filter }, async (args) => ({ contents: minifyTemplates(await readFile(args.path, 'utf8')), loader: 'ts' }));
  },
});

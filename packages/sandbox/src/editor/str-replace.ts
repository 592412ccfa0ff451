import type { FileStat } from '../sandbox.ts';
import type { EditorContext } from './context.ts';
import { invalidParameter, ToolError } from './errors.ts';
import { echo, lineList, snippet } from './format.ts';
import { describeFile, readText, writeText } from './read.ts';
import { lineAt, linesAt, occurrences } from './text.ts';

/** Occurrences looked for at most; enough to list lines and say "more". */
const MAX_OCCURRENCES = 1_000;

const toCrlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

/**
 * `str_replace`: replaces the one occurrence of `old_str` with `new_str`.
 * In a CRLF file an LF-only `old_str` also matches, and `new_str` then gets CRLF line breaks.
 */
export async function strReplace(ctx: EditorContext, path: string, stat: FileStat, rawOld: string, rawNew: string): Promise<string> {
  let oldStr = rawOld;
  let newStr = rawNew;
  if (oldStr === '') {
    throw invalidParameter('old_str', '""', 'It must not be empty. To add text without replacing any, use the `insert` command.');
  }
  if (newStr === oldStr) {
    throw invalidParameter('new_str', echo(newStr), 'No replacement was performed. `new_str` and `old_str` must be different.');
  }

  const file = await readText(ctx, path, stat, 'edit');
  const { text } = file;
  let found = occurrences(text, oldStr, MAX_OCCURRENCES);
  if (found.length === 0 && oldStr.includes('\n') && text.includes('\r\n')) {
    const crlfOld = toCrlf(oldStr);
    const crlfFound = occurrences(text, crlfOld, MAX_OCCURRENCES);
    if (crlfFound.length > 0) {
      [oldStr, newStr, found] = [crlfOld, toCrlf(newStr), crlfFound];
    }
  }
  if (found.length === 0) {
    throw new ToolError(
      `No replacement was performed, old_str \`${echo(rawOld)}\` did not appear verbatim in ${path}. ` +
        'Check whitespace and indentation: `view` the file to copy the exact text.',
    );
  }
  if (found.length > 1) {
    const listed = lineList(linesAt(text, found), found.length === MAX_OCCURRENCES);
    throw new ToolError(
      `No replacement was performed. Multiple occurrences of old_str \`${echo(rawOld)}\` in lines ${listed}. ` +
        'Please ensure it is unique, e.g. by including surrounding lines in old_str.',
    );
  }

  const at = found[0] ?? 0;
  const updated = text.slice(0, at) + newStr + text.slice(at + oldStr.length);
  await writeText(ctx, path, file, updated);

  const firstLine = lineAt(text, at);
  const lastLine = firstLine + (newStr.match(/\n/g)?.length ?? 0);
  return (
    `The file ${describeFile(path, file)} has been edited. ` +
    snippet(updated, firstLine, lastLine, `a snippet of ${path}`, path, ctx.limits.maxOutputChars) +
    'Review the changes and make sure they are as expected. Edit the file again if necessary.'
  );
}

import type { FileStat } from '../sandbox.ts';
import type { EditorContext } from './context.ts';
import { invalidParameter } from './errors.ts';
import { snippet } from './format.ts';
import { describeFile, readText, writeText } from './read.ts';
import { countLines, lineEnding, offsetAfterLine } from './text.ts';

/**
 * `insert`: puts `new_str` after line `insert_line` (0 = at the start), in the file's line ending.
 * One trailing newline of `new_str` ends its last line rather than adding an empty one.
 */
export async function insert(ctx: EditorContext, path: string, stat: FileStat, line: number, rawNew: string): Promise<string> {
  const file = await readText(ctx, path, stat, 'edit');
  const { text } = file;
  const count = countLines(text);
  if (line < 0 || line > count) {
    throw invalidParameter(
      'insert_line',
      String(line),
      `It should be within the range of allowed values: [0, ${count}] (0 inserts at the start of the file, ${count} after its last line).`,
    );
  }

  const eol = lineEnding(text);
  const body = rawNew.endsWith('\n') ? rawNew.slice(0, rawNew.endsWith('\r\n') ? -2 : -1) : rawNew;
  const newLines = body.split(/\r?\n/);
  const block = newLines.join(eol) + eol;
  const at = offsetAfterLine(text, line);
  // After a last line without a newline, the block needs one in front of it.
  const lead = at === text.length && text !== '' && !text.endsWith('\n') ? eol : '';
  const updated = text.slice(0, at) + lead + block + text.slice(at);

  await writeText(ctx, path, file, updated);
  return (
    `The file ${describeFile(path, file)} has been edited. ` +
    snippet(updated, line + 1, line + newLines.length, 'a snippet of the edited file', path, ctx.limits.maxOutputChars) +
    'Review the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). ' +
    'Edit the file again if necessary.'
  );
}

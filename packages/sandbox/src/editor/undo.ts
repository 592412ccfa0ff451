import type { EditorContext } from './context.ts';
import { ToolError } from './errors.ts';
import { decodeFile } from './encoding.ts';
import { catN } from './format.ts';
import { splitLines } from './text.ts';

/** `undo_edit`: restores the text before the last edit, or removes a file the editor created. */
export async function undoEdit(ctx: EditorContext, path: string): Promise<string> {
  const previous = ctx.history.peek(path);
  if (previous === undefined) throw new ToolError(`No edit history found for ${path}.`);

  if (previous === null) {
    if (!ctx.removeFile) {
      throw new ToolError(
        `The last edit to ${path} was its creation, and this editor cannot delete files. ` + `Delete it with \`rm ${path}\` if you no longer need it.`,
      );
    }
    await ctx.removeFile(path);
    ctx.history.pop(path);
    return `Last edit to ${path} undone successfully. The file had been created with \`create\`, so it was removed.`;
  }

  // The bytes as they were, whatever the encoding.
  await ctx.files.writeFile(path, previous);
  ctx.history.pop(path);
  const decoded = await decodeFile(previous);
  const text = 'text' in decoded ? decoded.text : '';
  return `Last edit to ${path} undone successfully. ${catN(splitLines(text), path, 1, path, ctx.limits.maxOutputChars)}`;
}

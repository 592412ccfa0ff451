import type { EditorContext } from './context.ts';
import { encodeText } from './text.ts';

/** `create`: writes a new file (parents included). The path was checked not to exist. */
export async function create(ctx: EditorContext, path: string, fileText: string): Promise<string> {
  await ctx.files.writeFile(path, encodeText(fileText));
  ctx.history.push(path, null);
  return `File created successfully at: ${path}`;
}

import type { EditorContext } from './context.ts';
import { encodeFile, UTF8 } from './encoding.ts';

/** `create`: writes a new UTF-8 file (parents included). The path was checked not to exist. */
export async function create(ctx: EditorContext, path: string, fileText: string): Promise<string> {
  await ctx.files.writeFile(path, encodeFile(fileText, UTF8));
  ctx.history.push(path, null);
  return `File created successfully at: ${path}`;
}

import { posix } from 'node:path';
import type { DirEntry, FileStat } from '../sandbox.ts';
import type { EditorContext } from './context.ts';
import { invalidParameter, ToolError } from './errors.ts';
import { catN, clipText } from './format.ts';
import { describeFile, readText } from './read.ts';
import { splitLines } from './text.ts';

/** Subdirectories listed concurrently in a directory view. */
const LIST_CONCURRENCY = 8;

export async function viewFile(ctx: EditorContext, path: string, stat: FileStat, range: [number, number] | null): Promise<string> {
  const file = await readText(ctx, path, stat, range ? 'view_range' : 'view');
  const lines = splitLines(file.text);
  const description = describeFile(path, file);
  if (!range) return catN(lines, description, 1, path, ctx.limits.maxOutputChars);

  const [start, requestedEnd] = range;
  const shown = `[${start}, ${requestedEnd}]`;
  const count = lines.length;
  if (count === 0) {
    throw invalidParameter('view_range', shown, `The file ${path} is empty, so it has no lines to show. View it without \`view_range\`.`);
  }
  if (start < 1 || start > count) {
    throw invalidParameter('view_range', shown, `Its first element \`${start}\` should be within the range of lines of the file: [1, ${count}].`);
  }
  const end = requestedEnd === -1 ? count : requestedEnd;
  if (end < start) {
    throw invalidParameter(
      'view_range',
      shown,
      `Its second element \`${requestedEnd}\` should be greater than or equal to its first element \`${start}\`, or -1 to view to the end of the file.`,
    );
  }
  if (end > count) {
    throw invalidParameter(
      'view_range',
      shown,
      `Its second element \`${end}\` should not exceed the number of lines in the file: \`${count}\`. Use -1 to view to the end of the file.`,
    );
  }
  return catN(lines.slice(start - 1, end), description, start, path, ctx.limits.maxOutputChars);
}

const isHidden = (entry: DirEntry) => entry.name.startsWith('.');
const byName = (a: DirEntry, b: DirEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const visibleSorted = (entries: DirEntry[]) => entries.filter((e) => !isHidden(e)).sort(byName);
const display = (path: string, entry: DirEntry) => posix.join(path, entry.name) + (entry.kind === 'directory' ? '/' : '');

/**
 * Files and directories up to 2 levels deep, hidden ones (".name") left out at both levels, in tree order.
 * Subdirectories are listed until the output budget is spent (the rest would be clipped anyway).
 */
export async function viewDirectory(ctx: EditorContext, path: string, range: [number, number] | null): Promise<string> {
  if (range) {
    throw invalidParameter('view_range', `[${range[0]}, ${range[1]}]`, 'The `view_range` parameter is not allowed when `path` points to a directory.');
  }
  const top = await ctx.files.readDir(path);
  const hiddenCount = top.filter(isHidden).length;
  const entries = visibleSorted(top);

  const children = new Map<string, DirEntry[]>();
  const subdirs = entries.filter((e) => e.kind === 'directory');
  let budget = ctx.limits.maxOutputChars;
  for (let i = 0; i < subdirs.length && budget > 0; i += LIST_CONCURRENCY) {
    const batch = subdirs.slice(i, i + LIST_CONCURRENCY);
    const listed = await Promise.all(batch.map((dir) => ctx.files.readDir(posix.join(path, dir.name)).catch((): DirEntry[] => [])));
    for (const [j, dir] of batch.entries()) {
      const kids = visibleSorted(listed[j] ?? []);
      children.set(dir.name, kids);
      budget -= kids.reduce((sum, kid) => sum + path.length + dir.name.length + kid.name.length + 3, 0);
    }
  }

  const rows = [path === '/' ? '/' : `${path}/`];
  for (const entry of entries) {
    rows.push(display(path, entry));
    const dir = posix.join(path, entry.name);
    for (const kid of children.get(entry.name) ?? []) rows.push(display(dir, kid));
  }
  // Once the budget is spent the listing is longer than the limit, so it is clipped with a note.
  const listing = clipText(
    rows.join('\n'),
    ctx.limits.maxOutputChars,
    'Due to the max output limit, only part of this directory has been shown to you. You should use `ls -la` instead to view large directories incrementally.',
  );
  let output = `Here's the files and directories up to 2 levels deep in ${path}, excluding hidden items:\n${listing}\n`;
  if (hiddenCount > 0) {
    output += `\n${hiddenCount} hidden files/directories in this directory are excluded. You can use 'ls -la ${path}' to see them.\n`;
  }
  return output;
}

/** `view` on a file or a directory. */
export async function view(ctx: EditorContext, path: string, stat: FileStat, range: [number, number] | null): Promise<string> {
  if (stat.kind === 'directory') return viewDirectory(ctx, path, range);
  if (stat.kind === 'file') return viewFile(ctx, path, stat, range);
  throw new ToolError(`The path ${path} is not a regular file or directory, so this tool cannot open it.`);
}

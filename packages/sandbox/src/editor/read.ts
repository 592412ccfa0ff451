import type { FileStat } from '../sandbox.ts';
import type { EditorContext } from './context.ts';
import { ToolError } from './errors.ts';
import { binaryReason, decodeText, formatBytes } from './text.ts';

/** Why a file is read: to show all of it, to show a range of it, or to edit it. */
export type ReadPurpose = 'view' | 'view_range' | 'edit';

function tooLarge(path: string, size: number, purpose: ReadPurpose, ctx: EditorContext): ToolError {
  const { maxFileBytes, maxRangeFileBytes } = ctx.limits;
  const sizes = (limit: number) => `${formatBytes(size)}; the limit is ${formatBytes(limit)}`;
  switch (purpose) {
    case 'view':
      return new ToolError(
        `File ${path} is too large to view whole (${sizes(maxFileBytes)}). ` +
          `Use \`view_range\` to view part of it (count its lines with \`wc -l ${path}\`), ` +
          `or search it with \`grep -n PATTERN ${path}\`.`,
      );
    case 'view_range':
      return new ToolError(
        `File ${path} is too large for this tool (${sizes(maxRangeFileBytes)}). ` +
          `Use shell tools instead, e.g. \`sed -n '100,200p' ${path}\` or \`grep -n PATTERN ${path}\`.`,
      );
    case 'edit':
      return new ToolError(
        `File ${path} is too large to edit with this tool (${sizes(maxFileBytes)}). ` +
          `Edit it with shell tools instead, e.g. \`sed -i 's/OLD/NEW/' ${path}\` or a short script.`,
      );
  }
}

/** Reads a text file, refusing files over the size limit for `purpose` and binary files. */
export async function readText(ctx: EditorContext, path: string, stat: FileStat, purpose: ReadPurpose): Promise<string> {
  const limit = purpose === 'view_range' ? ctx.limits.maxRangeFileBytes : ctx.limits.maxFileBytes;
  if (stat.sizeBytes > limit) throw tooLarge(path, stat.sizeBytes, purpose, ctx);
  const bytes = await ctx.files.readFile(path);
  if (bytes.byteLength > limit) throw tooLarge(path, bytes.byteLength, purpose, ctx);
  const reason = binaryReason(bytes);
  if (reason) {
    throw new ToolError(
      `File ${path} appears to be binary (${reason}), so this tool cannot ${purpose === 'edit' ? 'edit' : 'view'} it. ` +
        `Inspect it with shell tools instead, e.g. \`file ${path}\` or \`xxd ${path} | head -n 20\`.`,
    );
  }
  return decodeText(bytes);
}

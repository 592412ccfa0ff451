import type { FileStat } from '../sandbox.ts';
import type { EditorContext } from './context.ts';
import { decodeFile, describeEncoding, encodeFile, type FileEncoding, isPlainUtf8, UnrepresentableError } from './encoding.ts';
import { ToolError } from './errors.ts';
import { formatBytes } from './text.ts';

/** A text file as read: its text (without a byte-order mark), its encoding and its bytes. */
export interface TextFile {
  text: string;
  encoding: FileEncoding;
  bytes: Uint8Array;
}

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

/**
 * Reads a text file in whatever encoding it has (see `encoding.ts`), refusing files over the
 * size limit for `purpose` and binary files.
 */
export async function readText(ctx: EditorContext, path: string, stat: FileStat, purpose: ReadPurpose): Promise<TextFile> {
  const limit = purpose === 'view_range' ? ctx.limits.maxRangeFileBytes : ctx.limits.maxFileBytes;
  if (stat.sizeBytes > limit) throw tooLarge(path, stat.sizeBytes, purpose, ctx);
  const bytes = await ctx.files.readFile(path);
  if (bytes.byteLength > limit) throw tooLarge(path, bytes.byteLength, purpose, ctx);
  const decoded = await decodeFile(bytes);
  if ('binary' in decoded) {
    throw new ToolError(
      `File ${path} appears to be binary (${decoded.binary}), so this tool cannot ${purpose === 'edit' ? 'edit' : 'view'} it. ` +
        `Inspect it with shell tools instead, e.g. \`file ${path}\` or \`xxd ${path} | head -n 20\`.`,
    );
  }
  return { text: decoded.text, encoding: decoded.encoding, bytes };
}

/** `path`, and the encoding when it is not plain UTF-8: how views and edits name the file. */
export function describeFile(path: string, file: TextFile): string {
  return isPlainUtf8(file.encoding) ? path : `${path} (encoding: ${describeEncoding(file.encoding)})`;
}

/**
 * Writes `updated` back in the file's own encoding (with its byte-order mark) and records the
 * previous bytes for \`undo_edit\`. Text the encoding cannot represent is refused, and nothing
 * is written.
 */
export async function writeText(ctx: EditorContext, path: string, file: TextFile, updated: string): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = encodeFile(updated, file.encoding);
  } catch (err) {
    if (!(err instanceof UnrepresentableError)) throw err;
    const name = file.encoding.name;
    const shown = err.characters.slice(0, 10).map((char) => JSON.stringify(char));
    const more = err.characters.length > shown.length ? ` and ${err.characters.length - shown.length} more` : '';
    throw new ToolError(
      `No edit was made: ${path} is encoded in ${name}, which has no bytes for ${shown.join(', ')}${more}. ` +
        `Use only characters ${name} can represent, or convert the file to UTF-8 first ` +
        `(e.g. \`iconv -f ${name} -t utf-8 ${path} > ${path}.utf8 && mv ${path}.utf8 ${path}\`).`,
    );
  }
  await ctx.files.writeFile(path, bytes);
  ctx.history.push(path, file.bytes);
}

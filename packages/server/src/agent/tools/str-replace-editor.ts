import { EDITOR_COMMANDS, type EditorParams } from '@metisai/sandbox';
import { z } from 'zod/mini';
import { defineTool } from './agent-tool.ts';
import { numberFromString } from './coerce-values.ts';

const DESCRIPTION = `Custom editing tool for viewing, creating and editing files in plain-text format
* State is persistent across command calls and discussions with the user
* If \`path\` is a text file, \`view\` displays the result of applying \`cat -n\`. If \`path\` is a directory, \`view\` lists non-hidden files and directories up to 2 levels deep
* The \`create\` command cannot be used if the specified \`path\` already exists as a file
* If a \`command\` generates a long output, it will be truncated and marked with \`<response clipped>\`
* The \`undo_edit\` command will revert the last edit made to the file at \`path\`
* This tool can be used for creating and editing files in plain-text format.

Before using this tool:
1. Use the view tool to understand the file's contents and context
2. Verify the directory path is correct (only applicable when creating new files):
   - Use the view tool to verify the parent directory exists and is the correct location

When making edits:
   - Ensure the edit results in idiomatic, correct code
   - Do not leave the code in a broken state
   - Always use absolute file paths (starting with /)

CRITICAL REQUIREMENTS FOR USING THIS TOOL:

1. EXACT MATCHING: The \`old_str\` parameter must match EXACTLY one or more consecutive lines from the file, including all whitespace and indentation. The tool will fail if \`old_str\` matches multiple locations or doesn't match exactly with the file content.

2. UNIQUENESS: The \`old_str\` must uniquely identify a single instance in the file:
   - Include sufficient context before and after the change point (3-5 lines recommended)
   - If not unique, the replacement will not be performed

3. REPLACEMENT: The \`new_str\` parameter should contain the edited lines that replace the \`old_str\`. Both strings must be different.

Remember: when making multiple file edits in a row to the same file, you should prefer to send all edits in a single message with multiple calls to this tool, rather than multiple messages with a single call each.`;

const integer = (description: string) => z.int().check(z.describe(description));

export const strReplaceEditorTool = defineTool({
  name: 'str_replace_editor',
  description: DESCRIPTION,
  needsConfirmation: true,
  // Each command's own parameters are optional here: the editor checks them and answers the model in OpenHands' words.
  parameters: z.object({
    command: z
      .enum(EDITOR_COMMANDS)
      .check(z.describe(`The commands to run. Allowed options are: ${EDITOR_COMMANDS.map((command) => `\`${command}\``).join(', ')}.`)),
    path: z.string().check(z.describe('Absolute path to file or directory, e.g. `/workspace/file.py` or `/workspace`.')),
    file_text: z.optional(z.string().check(z.describe('Required parameter of `create` command, with the content of the file to be created.'))),
    old_str: z.optional(z.string().check(z.describe('Required parameter of `str_replace` command containing the string in `path` to replace.'))),
    new_str: z.optional(
      z
        .string()
        .check(
          z.describe(
            'Optional parameter of `str_replace` command containing the new string (if not given, no string will be added). Required parameter of `insert` command containing the string to insert.',
          ),
        ),
    ),
    insert_line: z.optional(integer('Required parameter of `insert` command. The `new_str` will be inserted AFTER the line `insert_line` of `path`.')),
    view_range: z.optional(
      z
        .array(z.int())
        .check(
          z.describe(
            'Optional parameter of `view` command when `path` points to a file. If none is given, the full file is shown. If provided, the file will be shown in the indicated line number range, e.g. [11, 12] will show lines 11 and 12. Indexing at 1 to start. Setting `[start_line, -1]` shows all lines from `start_line` to the end of the file.',
          ),
        ),
    ),
  }),
  // Line numbers as strings (`"12"`), and `view_range` as the text of a JSON array (`"[1, 50]"`).
  coerce: ({ insert_line, view_range, ...args }) => ({
    ...args,
    ...(insert_line === undefined ? {} : { insert_line: numberFromString(insert_line) }),
    ...(view_range === undefined ? {} : { view_range: lineRange(view_range) }),
  }),
  async execute({ view_range, ...params }, { sandbox }) {
    // The editor checks that `view_range` holds two line numbers, in OpenHands' words.
    const result = await sandbox.editor.run({ ...params, view_range: view_range as EditorParams['view_range'] });
    return { content: result.isError ? `ERROR:\n${result.output}` : result.output };
  },
});

function lineRange(value: unknown): unknown {
  let range = value;
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      range = JSON.parse(value);
    } catch {
      return value;
    }
  }
  return Array.isArray(range) ? range.map(numberFromString) : value;
}

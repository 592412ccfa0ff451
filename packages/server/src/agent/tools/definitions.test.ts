import { ALL_TOOLS } from '@metisai/sdk/schemas';
import { describe, expect, test } from 'vitest';
import { executeBashTool } from './execute-bash.ts';
import { finishTool } from './finish.ts';
import { toolsFor } from './index.ts';
import { strReplaceEditorTool } from './str-replace-editor.ts';
import { thinkTool } from './think.ts';

// The exact function definitions the model is shown (OpenHands' CodeAct tools). A change here changes what
// every model reads: review it against OpenHands' tool definitions before updating a literal.

const EXECUTE_BASH = {
  type: 'function',
  function: {
    name: 'execute_bash',
    description: `Execute a bash command in the terminal within a persistent shell session.

### Command Execution
* One command at a time: You can only execute one bash command at a time. If you need to run multiple commands sequentially, use \`&&\` or \`;\` to chain them together.
* Persistent session: Commands execute in a persistent shell session where environment variables, virtual environments, and working directory persist between commands.
* Soft timeout: Commands that produce no new output for a while return early; you then have the option to continue or interrupt the command (see section "Process Management").

### Long-running Commands
* For commands that may run indefinitely, run them in the background and redirect output to a file, e.g. \`python3 app.py > server.log 2>&1 &\`.
* For commands that may run for a long time (e.g. installation or testing commands), or commands that run for a fixed amount of time (e.g. sleep), you should set the "timeout" parameter of your function call to an appropriate value.

### Process Management
* If a command has not finished when it returns, by setting \`is_input\` to \`true\`, you can:
  - Send empty \`command\` to retrieve additional logs
  - Send text (set \`command\` to the text) to STDIN of the running process
  - Send control commands like \`C-c\` (Ctrl+C), \`C-d\` (Ctrl+D), or \`C-z\` (Ctrl+Z) to interrupt the process
  - If you do C-c, you can re-start the process with a longer "timeout" parameter to let it run to completion

### Best Practices
* Directory verification: Before creating new directories or files, first verify the parent directory exists and is the correct location.
* Directory management: Try to maintain working directory by using absolute paths and avoiding excessive use of \`cd\`.

### Output Handling
* Output truncation: If the output exceeds a maximum length, it will be truncated before being returned.`,
    parameters: {
      type: 'object',
      properties: {
        command: {
          type: 'string',
          description:
            'The bash command to execute. Can be empty string to view additional logs when the previous command has not finished. Can be `C-c` (Ctrl+C) to interrupt the currently running process. Note: You can only execute one bash command at a time. If you need to run multiple commands sequentially, you can use `&&` or `;` to chain them together.',
        },
        is_input: {
          type: 'string',
          enum: ['true', 'false'],
          description:
            'If True, the command is an input to the running process. If False, the command is a bash command to be executed in the terminal. Default is False.',
        },
        timeout: {
          type: 'number',
          description:
            'Optional. Sets a hard timeout in seconds for the command execution. If not provided, the command will use the default soft timeout behavior.',
        },
      },
      required: ['command'],
    },
  },
};

const STR_REPLACE_EDITOR = {
  type: 'function',
  function: {
    name: 'str_replace_editor',
    description: `Custom editing tool for viewing, creating and editing files in plain-text format
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

Remember: when making multiple file edits in a row to the same file, you should prefer to send all edits in a single message with multiple calls to this tool, rather than multiple messages with a single call each.`,
    parameters: {
      type: 'object',
      properties: {
        command: {
          type: 'string',
          enum: ['view', 'create', 'str_replace', 'insert', 'undo_edit'],
          description: 'The commands to run. Allowed options are: `view`, `create`, `str_replace`, `insert`, `undo_edit`.',
        },
        path: { type: 'string', description: 'Absolute path to file or directory, e.g. `/workspace/file.py` or `/workspace`.' },
        file_text: { type: 'string', description: 'Required parameter of `create` command, with the content of the file to be created.' },
        old_str: { type: 'string', description: 'Required parameter of `str_replace` command containing the string in `path` to replace.' },
        new_str: {
          type: 'string',
          description:
            'Optional parameter of `str_replace` command containing the new string (if not given, no string will be added). Required parameter of `insert` command containing the string to insert.',
        },
        insert_line: {
          type: 'integer',
          description: 'Required parameter of `insert` command. The `new_str` will be inserted AFTER the line `insert_line` of `path`.',
        },
        view_range: {
          type: 'array',
          items: { type: 'integer' },
          description:
            'Optional parameter of `view` command when `path` points to a file. If none is given, the full file is shown. If provided, the file will be shown in the indicated line number range, e.g. [11, 12] will show lines 11 and 12. Indexing at 1 to start. Setting `[start_line, -1]` shows all lines from `start_line` to the end of the file.',
        },
      },
      required: ['command', 'path'],
    },
  },
};

const THINK = {
  type: 'function',
  function: {
    name: 'think',
    description: `Use the tool to think about something. It will not obtain new information or make any changes to the repository, but just log the thought. Use it when complex reasoning or brainstorming is needed.

Common use cases:
1. When exploring a repository and discovering the source of a bug, call this tool to brainstorm several unique ways of fixing the bug, and assess which change(s) are likely to be simplest and most effective.
2. After receiving test results, use this tool to brainstorm ways to fix failing tests.
3. When planning a complex refactoring, use this tool to outline different approaches and their tradeoffs.
4. When designing a new feature, use this tool to think through architecture decisions and implementation details.
5. When debugging a complex issue, use this tool to organize your thoughts and hypotheses.

The tool simply logs your thought process for better transparency and does not execute any code or make changes.`,
    parameters: { type: 'object', properties: { thought: { type: 'string', description: 'The thought to log.' } }, required: ['thought'] },
  },
};

const FINISH = {
  type: 'function',
  function: {
    name: 'finish',
    description: `Signals the completion of the current task or conversation.

Use this tool when:
- You have successfully completed the user's requested task
- You cannot proceed further due to technical limitations or missing information

The message should include:
- A clear summary of actions taken and their results
- Any next steps for the user
- Explanation if you're unable to complete the task
- Any follow-up questions if more information is needed`,
    parameters: { type: 'object', properties: { message: { type: 'string', description: 'Final message to send to the user.' } }, required: ['message'] },
  },
};

describe('the tool definitions sent to the model', () => {
  test.each([
    ['execute_bash', executeBashTool, EXECUTE_BASH],
    ['str_replace_editor', strReplaceEditorTool, STR_REPLACE_EDITOR],
    ['think', thinkTool, THINK],
    ['finish', finishTool, FINISH],
  ] as const)('%s: the definition is exactly the pinned JSON (key order included)', (_name, tool, expected) => {
    expect(JSON.stringify(tool.definition, null, 2)).toBe(JSON.stringify(expected, null, 2));
  });

  test('every tool name of the wire enum has its tool, in the same order', () => {
    expect(toolsFor().map((tool) => tool.name)).toEqual([...ALL_TOOLS]);
  });

  test('disabled tools are left out; finish never is', () => {
    expect(toolsFor(['think']).map((tool) => tool.name)).toEqual(['think', 'finish']);
  });
});

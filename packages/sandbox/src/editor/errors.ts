/**
 * A refused editor command. `run()` turns it into `{ isError: true, output: message }`;
 * the message is written for the model and says what to do next.
 */
export class ToolError extends Error {
  override name = 'ToolError';
}

export const missingParameter = (command: string, parameter: string): ToolError =>
  new ToolError(`Parameter \`${parameter}\` is required for command: ${command}.`);

export const invalidParameter = (parameter: string, value: string, hint: string): ToolError =>
  new ToolError(`Invalid \`${parameter}\` parameter: ${value}. ${hint}`);

export const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

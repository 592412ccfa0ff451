import { z } from 'zod/mini';
import { defineTool } from './agent-tool.ts';

const DESCRIPTION = `Signals the completion of the current task or conversation.

Use this tool when:
- You have successfully completed the user's requested task
- You cannot proceed further due to technical limitations or missing information

The message should include:
- A clear summary of actions taken and their results
- Any next steps for the user
- Explanation if you're unable to complete the task
- Any follow-up questions if more information is needed`;

export const finishTool = defineTool({
  name: 'finish',
  description: DESCRIPTION,
  needsConfirmation: false,
  parameters: z.object({ message: z.string().check(z.describe('Final message to send to the user.')) }),
  execute: async ({ message }) => ({ content: 'The task is finished.', finishMessage: message }),
});

import * as z from 'zod/mini';
import { ConversationSchema } from './conversation.ts';
import { ActionEventSchema } from './event.ts';

/**
 * An action waiting for the owner's approval (`GET /approvals`): the first action without an observation of a
 * conversation in `awaiting_confirmation`, with that conversation. Answer it with `POST /conversations/{id}/confirm`.
 */
export const ApprovalSchema = z.object({
  conversation: ConversationSchema,
  action: ActionEventSchema,
});
export type Approval = z.infer<typeof ApprovalSchema>;

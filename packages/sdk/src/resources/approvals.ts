import { PagePromise } from '../core/pagination.ts';
import type { RequestOptions } from '../core/request-options.ts';
import { ApprovalSchema, type Approval } from '../schemas/approval.ts';
import { pageOf, type ListParams } from '../schemas/common.ts';
import { APIResource } from './resource.ts';

const ApprovalPageSchema = pageOf(ApprovalSchema);

/** `/api/v1/approvals`: actions waiting for your approval, across your conversations. */
export class Approvals extends APIResource {
  /**
   * The action each conversation in `awaiting_confirmation` waits on, newest conversation first (`GET /approvals`).
   * Answer one with `conversations.confirm(approval.conversation.id, { approve })`.
   */
  list(params: Omit<ListParams, 'after'> & { after?: string } = {}, options?: RequestOptions): PagePromise<Approval> {
    return new PagePromise((after) => this.client.get('/approvals', ApprovalPageSchema, { ...options, query: { limit: params.limit, after } }), params.after);
  }
}

import { ErrorCode, type FileEntry } from '@metisai/sdk/schemas';
import { InvalidRequestError, LengthRequiredError, PayloadTooLargeError } from '../errors.ts';
import type { ConversationOwner } from '../services/conversations.ts';
import type { WorkspaceService } from '../services/workspace-files.ts';
import type { AppContext } from './app-state.ts';

/** `Content-Length` of an upload: required (411 `length_required`), at most `limitBytes` (413 with `limit_bytes`). */
export function uploadLength(ctx: AppContext, limitBytes: number): number {
  const header = ctx.get('Content-Length');
  if (!/^\d+$/.test(header)) {
    throw new LengthRequiredError(ErrorCode.lengthRequired, 'Send the file with a Content-Length header (chunked uploads are not taken)', {
      details: [{ path: 'Content-Length', message: 'is required' }],
    });
  }
  const size = Number(header);
  if (size > limitBytes) {
    throw new PayloadTooLargeError(ErrorCode.payloadTooLarge, `The file is larger than the upload limit of ${limitBytes} bytes`, {
      extra: { limit_bytes: limitBytes },
    });
  }
  return size;
}

/**
 * `PUT …/files/content` for the owner's routes and the visitors' alike: streams the request body (`Content-Length`
 * bytes, at most `limitBytes`) into `filePath` of the conversation's workspace, and answers 201 with the entry (200
 * when a file was replaced). A body that breaks off is a 400 naming `Content-Length`; nothing is written then.
 */
export async function receiveUpload(
  ctx: AppContext,
  workspace: WorkspaceService,
  owner: ConversationOwner,
  conversationId: string,
  filePath: string,
  limitBytes: number,
): Promise<void> {
  const size = uploadLength(ctx, limitBytes);
  let result: { entry: FileEntry; isCreated: boolean };
  try {
    result = await workspace.upload(ctx.state.em, owner, conversationId, filePath, ctx.req, size);
  } catch (error) {
    if (!ctx.req.complete && ctx.req.destroyed) {
      throw new InvalidRequestError(ErrorCode.validation, 'The upload ended before Content-Length bytes arrived; nothing was written', {
        details: [{ path: 'Content-Length', message: 'more than the body' }],
      });
    }
    throw error;
  }
  ctx.status = result.isCreated ? 201 : 200;
  ctx.body = result.entry;
}

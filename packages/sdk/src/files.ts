/**
 * @metisai/sdk/files — a conversation's workspace files: its own entry point, so apps that do not move files do not
 * ship it (the main bundle keeps to its 30 KB budget).
 *
 * ```ts
 * import { MetisClient } from '@metisai/sdk';
 * import { Files } from '@metisai/sdk/files';
 * const files = new Files(client);
 * await files.upload(conversationId, 'data/input.csv', file, { onProgress: (p) => console.log(p.transferredBytes) });
 * ```
 *
 * A page's visitor uploads with `new VisitorFiles(visitorClient)` (a `VisitorClient` of `@metisai/sdk/embed`).
 */
export {
  Files,
  VisitorFiles,
  type DownloadOptions,
  type FileDownload,
  type NodeReadable,
  type TransferProgress,
  type UploadData,
  type UploadOptions,
} from './resources/conversations/files.ts';

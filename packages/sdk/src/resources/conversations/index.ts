export { Conversations, type StreamOptions } from './conversations.ts';
export { Messages } from './messages.ts';
export { Events } from './events.ts';
export { Files, type DownloadOptions, type FileDownload, type NodeReadable, type TransferProgress, type UploadData, type UploadOptions } from './files.ts';

import { ApiClient, ConflictError, ServerInfoResource, type AttachmentParams, type Conversations, type FileEntry } from '@metisai/sdk/lean';
import type { ChatStream, UploadFileOptions } from './chat-connection.ts';

/** What uploads a file into a conversation's workspace: the SDK's `Files` (owners) or `VisitorFiles` (visitors). */
export interface FileUploader {
  upload(
    conversationId: string,
    filePath: string,
    data: Blob,
    options: { onProgress: (progress: { transferredBytes: number }) => void; signal: AbortSignal },
  ): Promise<FileEntry>;
}

/**
 * The conversation calls owner and visitor connections make alike, on their `Conversations` resource
 * (`/conversations`, or `/embed/conversations` for visitors): read one, page its events, stream from a `seq`, send a
 * message, stop the run, upload a file (on their `FileUploader`), and read the server's upload limit.
 */
export abstract class ConversationsConnection {
  /** The resource the calls go through. */
  protected abstract get conversations(): Conversations;
  /** Uploads into the workspace (`PUT …/files/content` on the same prefix). */
  protected abstract get files(): FileUploader;
  /** The MetisAI server's root URL. */
  protected abstract get server(): string;

  #uploadLimit: Promise<number> | undefined;

  getConversation(conversationId: string) {
    return this.conversations.get(conversationId);
  }

  listEvents(conversationId: string, after: number, limit: number) {
    return this.conversations.events.list(conversationId, { after, limit }).firstPage();
  }

  /** Reconnects are the chat session's (it resumes with catch-up), so the stream itself does not retry. */
  stream(conversationId: string, after: number): ChatStream {
    return this.conversations.stream(conversationId, { after, maxReconnects: 0, idleTimeoutMs: 45_000 });
  }

  sendMessage(conversationId: string, content: string, idempotencyKey: string, attachments?: AttachmentParams[]) {
    return this.conversations.messages.create(conversationId, attachments?.length ? { content, attachments } : { content }, { idempotencyKey });
  }

  uploadFile(conversationId: string, path: string, file: Blob, options: UploadFileOptions): Promise<FileEntry> {
    return this.files.upload(conversationId, path, file, { onProgress: (progress) => options.onProgress(progress.transferredBytes), signal: options.signal });
  }

  /**
   * `GET /server-info` through a client without credentials: a request without `Authorization` needs no preflight,
   * and the server lets any origin read this public answer. Read once; a failure is read again next time.
   */
  uploadLimitBytes(): Promise<number> {
    this.#uploadLimit ??= new ServerInfoResource(new ApiClient({ baseUrl: this.server, maxRetries: 1 })).get().then(
      (info) => info.upload_limit_bytes,
      (error: unknown) => {
        this.#uploadLimit = undefined;
        throw error;
      },
    );
    return this.#uploadLimit;
  }

  async stop(conversationId: string) {
    try {
      await this.conversations.stop(conversationId);
    } catch (error) {
      // Already over: nothing to stop.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

import { z } from 'zod/mini';
import {
  ArchiveParamsSchema,
  ChangesSchema,
  DownloadUrlParamsSchema,
  DownloadUrlSchema,
  ErrorBodySchema,
  FileEntrySchema,
  FileListParamsSchema,
  FileMkdirParamsSchema,
  FileMoveParamsSchema,
  FilePathParamsSchema,
  pageOf,
} from '@metisai/sdk/schemas';
import type { Download } from '../../services/workspace-files.ts';
import type { AppContext } from '../app-state.ts';
import { endpoint } from '../endpoint.ts';
import { receiveUpload } from '../file-upload.ts';
import type { RouteDeps } from './deps.ts';

const notFound = { description: 'No such conversation (or not yours), or nothing at `path`', schema: ErrorBodySchema };
const badPath = {
  description: '`invalid_path` (outside the workspace), `is_a_directory`, `not_a_directory` or `validation_error`, naming the field',
  schema: ErrorBodySchema,
};
const downloadHeaders = {
  'Content-Disposition': 'attachment, with an RFC 5987 `filename*` for names beyond ASCII',
  'Content-Security-Policy': "`sandbox`: an HTML or SVG file never runs script on the server's origin",
  'X-Content-Type-Options': '`nosniff`',
};

/**
 * Sends a file or archive as an attachment: the type from its extension, `nosniff`, and a `sandbox` CSP so that an
 * agent-written `.html` or `.svg` opened from here cannot run script on this origin.
 */
function sendDownload(ctx: AppContext, download: Download): void {
  // The type first: Koa keeps a type that is set when the body becomes a stream (else it says octet-stream).
  ctx.attachment(download.fileName);
  ctx.body = download.body;
  ctx.set('Content-Security-Policy', 'sandbox');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Cache-Control', 'private, no-store');
  if (download.sizeBytes !== undefined) ctx.length = download.sizeBytes;
}

export const fileEndpoints = ({ services: { workspace }, config }: RouteDeps) => [
  endpoint({
    method: 'get',
    path: '/conversations/:id/files',
    scope: 'read',
    agentAccess: 'conversation',
    tag: 'files',
    summary: "List a directory of the conversation's workspace (hidden entries included), sorted by name; `after` is a name (exclusive)",
    query: FileListParamsSchema,
    responses: {
      200: { description: 'A page of entries; empty before the conversation has a sandbox', schema: pageOf(FileEntrySchema) },
      400: badPath,
      404: notFound,
    },
    handler: async (ctx, { query, params }) => {
      ctx.body = await workspace.list(ctx.state.em, ctx.state.principal.userId, params.id!, query);
    },
  }),
  endpoint({
    method: 'get',
    path: '/conversations/:id/files/content',
    scope: 'read',
    agentAccess: 'conversation',
    tag: 'files',
    summary: 'Download one file (streamed)',
    query: FilePathParamsSchema,
    responses: {
      200: { description: "The file's bytes, as an attachment", contentType: 'application/octet-stream', isBinary: true, headers: downloadHeaders },
      400: badPath,
      404: notFound,
    },
    handler: async (ctx, { query, params }) => {
      sendDownload(ctx, await workspace.download(ctx.state.em, ctx.state.principal.userId, params.id!, query.path));
    },
  }),
  endpoint({
    method: 'put',
    path: '/conversations/:id/files/content',
    scope: 'run',
    agentAccess: 'conversation',
    tag: 'files',
    summary:
      'Upload one file (streamed; parents created; the sandbox is created when the conversation has none). Written under a temporary name and renamed: a failed upload leaves nothing',
    query: FilePathParamsSchema,
    rawBody: {
      contentType: 'application/octet-stream',
      description: `The file's bytes, any type; \`Content-Length\` is required (at most UPLOAD_LIMIT_BYTES)`,
    },
    responses: {
      200: { description: 'An existing file was replaced', schema: FileEntrySchema },
      201: { description: 'Created', schema: FileEntrySchema },
      400: badPath,
      404: notFound,
      409: { description: '`conversation_busy`: another server process holds the conversation and it has no sandbox yet', schema: ErrorBodySchema },
      411: { description: '`length_required`: no `Content-Length`', schema: ErrorBodySchema },
      413: { description: '`payload_too_large`, with `limit_bytes`', schema: ErrorBodySchema },
    },
    handler: async (ctx, { query, params }) => {
      await receiveUpload(ctx, workspace, ctx.state.principal.userId, params.id!, query.path, config.uploadLimitBytes);
    },
  }),
  endpoint({
    method: 'delete',
    path: '/conversations/:id/files',
    scope: 'run',
    agentAccess: 'conversation',
    tag: 'files',
    summary: 'Delete a file, a symlink (not its target) or a directory with everything in it',
    query: FilePathParamsSchema,
    responses: { 204: { description: 'Deleted' }, 400: badPath, 404: notFound },
    handler: async (ctx, { query, params }) => {
      await workspace.remove(ctx.state.em, ctx.state.principal.userId, params.id!, query.path);
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'post',
    path: '/conversations/:id/files/move',
    scope: 'run',
    agentAccess: 'conversation',
    tag: 'files',
    summary: 'Move or rename a file or directory; `to` must not exist (its parents are created)',
    body: FileMoveParamsSchema,
    responses: {
      200: { description: 'The entry at `to`', schema: FileEntrySchema },
      400: badPath,
      404: notFound,
      409: { description: '`file_exists`: something is at `to`', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body, params }) => {
      ctx.body = await workspace.move(ctx.state.em, ctx.state.principal.userId, params.id!, body);
    },
  }),
  endpoint({
    method: 'post',
    path: '/conversations/:id/files/mkdir',
    scope: 'run',
    agentAccess: 'conversation',
    tag: 'files',
    summary: 'Create a directory and its parents (the sandbox is created when the conversation has none)',
    body: FileMkdirParamsSchema,
    responses: {
      200: { description: 'It existed already', schema: FileEntrySchema },
      201: { description: 'Created', schema: FileEntrySchema },
      400: badPath,
      404: notFound,
    },
    handler: async (ctx, { body, params }) => {
      const { entry, isCreated } = await workspace.mkdir(ctx.state.em, ctx.state.principal.userId, params.id!, body.path);
      ctx.status = isCreated ? 201 : 200;
      ctx.body = entry;
    },
  }),
  endpoint({
    method: 'get',
    path: '/conversations/:id/archive',
    scope: 'read',
    agentAccess: 'conversation',
    tag: 'files',
    summary: 'Download the workspace (or the directory `path`) as a `.tar.gz`, streamed',
    query: ArchiveParamsSchema,
    responses: {
      200: { description: 'The archive, as an attachment', contentType: 'application/gzip', isBinary: true, headers: downloadHeaders },
      400: badPath,
      404: notFound,
    },
    handler: async (ctx, { query, params }) => {
      sendDownload(ctx, await workspace.archive(ctx.state.em, ctx.state.principal.userId, params.id!, query.path));
    },
  }),
  endpoint({
    method: 'post',
    path: '/conversations/:id/files/download-url',
    scope: 'read',
    agentAccess: 'conversation',
    tag: 'files',
    summary: 'A signed URL (5 minutes, bound to you) that downloads a file, or with `archive: true` a directory as `.tar.gz`, without an Authorization header',
    body: DownloadUrlParamsSchema,
    responses: { 200: { description: 'The URL', schema: DownloadUrlSchema }, 400: badPath, 404: notFound },
    handler: async (ctx, { body, params }) => {
      // This server's own URL as the client reached it (behind a proxy: X-Forwarded-Proto/-Host when TRUST_PROXY is set).
      ctx.body = await workspace.createDownloadUrl(
        ctx.state.em,
        ctx.state.principal.userId,
        params.id!,
        body,
        config.publicUrl ?? `${ctx.protocol}://${ctx.host}`,
      );
    },
  }),
  endpoint({
    method: 'get',
    path: '/downloads',
    tag: 'files',
    summary: 'Redeem a signed download URL from `POST …/files/download-url` (no Authorization header: the token is the credential)',
    isPublic: true,
    query: z.strictObject({ token: z.string().check(z.minLength(1), z.maxLength(16_384)) }),
    responses: {
      200: { description: 'The file or archive, as an attachment', contentType: 'application/octet-stream', isBinary: true, headers: downloadHeaders },
      401: { description: '`download_url_invalid`: forged, malformed or expired', schema: ErrorBodySchema },
      404: notFound,
    },
    handler: async (ctx, { query }) => {
      sendDownload(ctx, await workspace.redeemDownload(ctx.state.em, query.token));
    },
  }),
  endpoint({
    method: 'get',
    path: '/conversations/:id/changes',
    scope: 'read',
    agentAccess: 'conversation',
    tag: 'files',
    summary:
      "Files added, modified and deleted since the conversation's baseline, each with a unified diff (`.git/` and ignored files left out; binary flagged; long diffs cut)",
    responses: { 200: { description: 'The changes', schema: ChangesSchema }, 404: notFound },
    handler: async (ctx, { params }) => {
      ctx.body = await workspace.changes(ctx.state.em, ctx.state.principal.userId, params.id!);
    },
  }),
];

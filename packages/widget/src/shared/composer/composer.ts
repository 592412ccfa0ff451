import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import type { Attachment, ChatSession } from '../chat/chat-session.ts';
import type { ToolItem } from '../chat/transcript.ts';
import { formatBytes } from '../i18n/format-bytes.ts';
import { errorText, type Catalog } from '../i18n/messages.ts';

const icon = (path: string) =>
  html`<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d=${path}></path></svg>`;
const ICON_SEND = 'M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z';
const ICON_STOP = 'M7 7h10v10H7z';
/** A paper clip. */
export const ICON_ATTACH =
  'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z';
const ICON_REMOVE = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z';

/** The composer's file attachments: what was picked, the server's limit, and what picking or removing does. */
export interface ComposerAttachments {
  items: readonly Attachment[];
  /** The server's largest upload, bytes (`undefined`: not known). */
  limitBytes: number | undefined;
  onFiles: (files: File[]) => void;
  onRemove: (id: string) => void;
  /**
   * The limit's line under the field (it is the attach button's tooltip too): by default shown once the limit is
   * known; `true`, there from the first render, empty until then (a virtualized list above keeps its height: the
   * console's); `false`, none.
   */
  isLimitLineShown?: boolean;
}

/** A session's attachments, for `renderComposer`. */
export const sessionAttachments = (session: ChatSession | undefined): ComposerAttachments | undefined =>
  session && {
    items: session.attachments,
    limitBytes: session.uploadLimitBytes,
    onFiles: (files) => void session.addFiles(files),
    onRemove: (id) => session.removeAttachment(id),
  };

/** What the composer shows and does. */
export interface ComposerOptions {
  catalog: Catalog;
  draft: string;
  placeholder: string;
  /** The input is disabled (not ready, the agent is offline). */
  isDisabled: boolean;
  /** A run is going: **stop** replaces **send**. */
  isRunning: boolean;
  onInput: (text: string) => void;
  /** Enter (without Shift, outside an IME composition) or the send button. */
  onSubmit: () => void;
  onStop: () => void;
  /** File attachments (a button, drop and paste): absent, the composer takes text only. */
  attachments?: ComposerAttachments | undefined;
}

/**
 * The one composer of `<metis-chat>` and the console: a growing textarea (never below 16px: iOS zooms into smaller
 * inputs), Enter sends and Shift+Enter breaks the line, and **stop** replaces **send** while a run goes on. Styles:
 * `composerStyles`.
 */
export function renderComposer(options: ComposerOptions): TemplateResult {
  const { catalog, attachments } = options;
  const isUploading = attachments?.items.some((item) => item.status === 'uploading') ?? false;
  const submit = (event: Event) => {
    event.preventDefault();
    if (!isUploading) options.onSubmit();
  };
  const keydown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) submit(event);
  };
  const canAttach = attachments !== undefined && !options.isDisabled;
  const takeFiles = (files: FileList | null | undefined) => {
    if (canAttach && files && files.length > 0) attachments.onFiles([...files]);
  };
  const dragOver = (event: DragEvent) => {
    if (!canAttach || !event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    (event.currentTarget as HTMLElement).classList.add('dragging');
  };
  const dragLeave = (event: DragEvent) => (event.currentTarget as HTMLElement).classList.remove('dragging');
  const drop = (event: DragEvent) => {
    dragLeave(event);
    if (!canAttach || !event.dataTransfer?.files.length) return;
    event.preventDefault();
    takeFiles(event.dataTransfer.files);
  };
  const paste = (event: ClipboardEvent) => {
    // Pasted files (a screenshot, files copied in a file manager) are attached; pasted text goes in as usual.
    if (!canAttach || !event.clipboardData?.files.length) return;
    event.preventDefault();
    takeFiles(event.clipboardData.files);
  };
  const limit = attachments?.limitBytes === undefined ? undefined : formatBytes(attachments.limitBytes, catalog.locale);
  const hasLimitLine = attachments && attachments.isLimitLineShown !== false && (limit || attachments.isLimitLineShown);
  return html`<form
    class="composer"
    part="composer"
    data-drop-label=${catalog.dropFiles}
    @submit=${submit}
    @dragover=${dragOver}
    @dragleave=${dragLeave}
    @drop=${drop}
  >
    ${attachments && attachments.items.length > 0 ? renderAttachments(attachments, catalog, limit) : nothing}
    <div class="composer-row">
      ${
        attachments
          ? html`<label
            class="attach ${canAttach ? '' : 'disabled'}"
            part="attach-button"
            title=${limit ? `${catalog.attachFiles} (${catalog.uploadLimit(limit)})` : catalog.attachFiles}
          >
            <input
              type="file"
              multiple
              class="sr-only"
              aria-label=${catalog.attachFiles}
              aria-describedby=${hasLimitLine ? 'upload-limit' : nothing}
              ?disabled=${!canAttach}
              @change=${(event: Event) => {
                const input = event.target as HTMLInputElement;
                takeFiles(input.files);
                input.value = '';
              }}
            />${icon(ICON_ATTACH)}
          </label>`
          : nothing
      }
      <textarea
        part="input"
        rows="1"
        aria-label=${catalog.inputLabel}
        placeholder=${options.placeholder}
        .value=${live(options.draft)}
        ?disabled=${options.isDisabled}
        @input=${(event: InputEvent) => options.onInput((event.target as HTMLTextAreaElement).value)}
        @keydown=${keydown}
        @paste=${paste}
      ></textarea>
      ${
        options.isRunning
          ? html`<button type="button" class="stop" part="stop-button" aria-label=${catalog.stop} @click=${options.onStop}>${icon(ICON_STOP)}</button>`
          : html`<button
            type="submit"
            class="send"
            part="send-button"
            aria-label=${catalog.send}
            ?disabled=${options.isDisabled || isUploading || options.draft.trim() === ''}
          >
            ${icon(ICON_SEND)}
          </button>`
      }
    </div>
    ${hasLimitLine ? html`<p class="upload-limit" part="upload-limit" id="upload-limit">${limit ? catalog.uploadLimit(limit) : ''}</p>` : nothing}
  </form>`;
}

/** The picked files: name, size, a progress bar while uploading, why one failed, and a remove button. */
function renderAttachments(attachments: ComposerAttachments, catalog: Catalog, limit: string | undefined): TemplateResult {
  return html`<ul class="attachments" part="attachments" aria-label=${catalog.attachments}>
    ${attachments.items.map(
      (item) =>
        html`<li class="attachment ${item.status}" part="attachment" data-status=${item.status} data-path=${item.path}>
          <span class="attachment-name">${item.name}</span>
          <span class="attachment-size">${formatBytes(item.size, catalog.locale)}</span>
          ${
            item.status === 'uploading'
              ? html`<progress part="attachment-progress" max=${Math.max(1, item.size)} .value=${item.sentBytes} aria-label=${catalog.uploading(item.name)}></progress>`
              : nothing
          }
          ${
            item.status === 'failed'
              ? html`<span class="attachment-error" role="alert"
                >${item.code === 'file_too_large' && limit ? catalog.fileTooLarge(limit) : errorText(catalog, item.code ?? 'unknown_error')}</span
              >`
              : nothing
          }
          <button type="button" class="attachment-remove" aria-label=${catalog.removeAttachment(item.name)} @click=${() => attachments.onRemove(item.id)}>
            ${icon(ICON_REMOVE)}
          </button>
        </li>`,
    )}
  </ul>`;
}

/**
 * The offline state (`session.unavailable`): the agent is not running or was deleted, or the server cannot be reached.
 * A status region (announced politely, not an alert: nothing failed on the reader's side), gone once it recovers.
 */
export function renderOffline(session: ChatSession | undefined, catalog: Catalog): TemplateResult | typeof nothing {
  const why = session?.unavailable;
  if (!why || (!session.isOnline && why === 'server')) return nothing;
  const title = why === 'server' ? catalog.serverUnreachableTitle : catalog.agentOfflineTitle;
  const hint =
    why === 'server' ? catalog.serverUnreachableHint : session.connection?.mode === 'visitor' ? catalog.agentOfflineVisitorHint : catalog.agentOfflineHint;
  return html`<div class="offline" part="offline" role="status" data-reason=${why}>
    <strong>${title}</strong>
    <span>${hint}</span>
  </div>`;
}

/** The run-state line's text: offline, reconnecting, waiting for approval, what the run is doing, stopped. */
export function runStatusText(session: ChatSession | undefined, catalog: Catalog): string {
  if (!session) return '';
  if (!session.isOnline) return catalog.networkOffline;
  // Shown by the offline state instead (`renderOffline`).
  if (session.unavailable) return '';
  if (session.streamStatus === 'retrying') return catalog.reconnecting;
  const transcript = session.transcript;
  if (transcript.state === 'awaiting_confirmation') return session.connection?.canConfirm === false ? catalog.waitingOwnerApproval : catalog.waitingApproval;
  if (session.isRunActive) {
    const active = transcript.activeItem;
    if (active?.kind === 'assistant') return catalog.writing;
    if (active?.kind === 'tool')
      return active.tool === 'execute_bash' ? catalog.runningCommand : active.tool === 'str_replace_editor' ? catalog.editingFile : catalog.thinking;
    return catalog.thinking;
  }
  if (transcript.state === 'stopped') return catalog.stopped;
  return '';
}

/** The run-state line under the list (not announced: a separate `role="status"` line announces starts and ends). */
export function renderRunStatus(session: ChatSession | undefined, catalog: Catalog): TemplateResult {
  const text = runStatusText(session, catalog);
  return html`<div class="status" part="status" data-state=${session?.transcript.state ?? ''} aria-live="off">
    ${text ? html`<span class=${session?.isRunActive ? 'working' : ''}>${text}</span>` : nothing}
  </div>`;
}

/** The last problem (`session.notice`) as an alert, with **retry** when the last message can be sent again. */
export function renderNotice(session: ChatSession | undefined, catalog: Catalog, onRetry: () => void): TemplateResult | typeof nothing {
  const notice = session?.notice;
  if (!session || !notice) return nothing;
  const canRetry = session.transcript.lastUserMessage !== undefined && !session.isRunActive && !session.isUploading;
  return html`<div class="notice" part="error" role="alert" data-code=${notice.code}>
    <span>${errorText(catalog, notice.code)}</span>
    ${canRetry ? html`<button type="button" class="text-button" part="retry-button" @click=${onRetry}>${catalog.retry}</button>` : nothing}
  </div>`;
}

/**
 * Approve / reject of the step a run waits on (owner connections only): the pending command, Enter approves and
 * Escape rejects while focus is inside.
 */
export function renderApproval(session: ChatSession | undefined, catalog: Catalog): TemplateResult | typeof nothing {
  if (!session || session.transcript.state !== 'awaiting_confirmation' || !session.connection?.canConfirm) return nothing;
  const pending = session.transcript.items.findLast((item): item is ToolItem => item.kind === 'tool' && !item.observation);
  const keydown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      void session.confirm(event.key === 'Enter');
    }
  };
  return html`<div class="approval" part="approval" role="group" aria-label=${catalog.waitingApproval} @keydown=${keydown}>
    <p>${catalog.approvalPrompt} ${pending ? html`<code>${String(pending.args.command ?? pending.args.path ?? pending.tool)}</code>` : nothing}</p>
    <p class="muted">${catalog.approvalHint}</p>
    <div class="approval-buttons">
      <button type="button" class="primary" part="approve-button" @click=${() => session.confirm(true)}>${catalog.approve}</button>
      <button type="button" class="secondary" part="reject-button" @click=${() => session.confirm(false)}>${catalog.reject}</button>
    </div>
  </div>`;
}

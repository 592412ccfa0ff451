import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import type { ChatSession } from '../chat/chat-session.ts';
import type { ToolItem } from '../chat/transcript.ts';
import { errorText, type Catalog } from '../i18n/messages.ts';

const icon = (path: string) =>
  html`<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d=${path}></path></svg>`;
const ICON_SEND = 'M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z';
const ICON_STOP = 'M7 7h10v10H7z';

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
}

/**
 * The one composer of `<metis-chat>` and the console: a growing textarea (never below 16px: iOS zooms into smaller
 * inputs), Enter sends and Shift+Enter breaks the line, and **stop** replaces **send** while a run goes on. Styles:
 * `composerStyles`.
 */
export function renderComposer(options: ComposerOptions): TemplateResult {
  const { catalog } = options;
  const submit = (event: Event) => {
    event.preventDefault();
    options.onSubmit();
  };
  const keydown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) submit(event);
  };
  return html`<form class="composer" part="composer" @submit=${submit}>
    <textarea
      part="input"
      rows="1"
      aria-label=${catalog.inputLabel}
      placeholder=${options.placeholder}
      .value=${live(options.draft)}
      ?disabled=${options.isDisabled}
      @input=${(event: InputEvent) => options.onInput((event.target as HTMLTextAreaElement).value)}
      @keydown=${keydown}
    ></textarea>
    ${
      options.isRunning
        ? html`<button type="button" class="stop" part="stop-button" aria-label=${catalog.stop} @click=${options.onStop}>${icon(ICON_STOP)}</button>`
        : html`<button type="submit" class="send" part="send-button" aria-label=${catalog.send} ?disabled=${options.isDisabled || options.draft.trim() === ''}>
          ${icon(ICON_SEND)}
        </button>`
    }
  </form>`;
}

/** The run-state line's text: offline, reconnecting, waiting for approval, what the run is doing, stopped. */
export function runStatusText(session: ChatSession | undefined, catalog: Catalog): string {
  if (!session) return '';
  if (!session.isOnline) return catalog.networkOffline;
  if (session.isAgentOffline) return catalog.offline;
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
  const canRetry = session.transcript.lastUserMessage !== undefined && !session.isRunActive;
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

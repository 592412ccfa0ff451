import { css, html, nothing, type TemplateResult } from 'lit';
import type { WorkspaceItem } from '../../shared/chat/transcript.ts';
import type { Language } from '../../shared/i18n/messages.ts';
import type { RepositoryCatalog } from '../i18n/embed-messages.ts';
import { formatNumber } from './format.ts';

/** Bytes in the reader's language, binary units (`1.5 MiB`). */
export function formatBytes(language: Language, bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown =
    unit === 0 ? formatNumber(language, value) : new Intl.NumberFormat(language === 'zh' ? 'zh-CN' : 'en', { maximumFractionDigits: 1 }).format(value);
  return `${shown} ${units[unit]}`;
}

/**
 * A `workspace` event in the console's transcript: the repository's clone (cloning with the objects and bytes received
 * so far and a busy progress bar, ready with its commit, or failed with the server's message — the `error` event after
 * it gives the code's sentence), the repository instructions a run loaded, files uploaded. A newer server's phase shows
 * its phase name.
 */
export function renderWorkspaceEvent(item: WorkspaceItem, words: RepositoryCatalog, language: Language): TemplateResult {
  const event = item.event as {
    repository?: { url?: string; commit?: string | null };
    received_objects?: number;
    received_bytes?: number;
    message?: string;
    instructions?: { path: string }[];
    files?: { path: string }[];
  };
  const url = event.repository?.url ?? '';
  const progress =
    typeof event.received_objects === 'number' || typeof event.received_bytes === 'number'
      ? words.progress(formatNumber(language, event.received_objects ?? 0), formatBytes(language, event.received_bytes ?? 0))
      : '';
  let body: TemplateResult;
  switch (item.phase) {
    case 'cloning':
      body = html`<span class="what">${words.cloning(url)}</span> ${progress ? html`<span class="detail" data-clone-progress>${progress}</span>` : nothing}
        <progress aria-label=${words.cloning(url)}></progress>`;
      break;
    case 'ready':
      body = html`<span class="what">${words.ready(url)}</span>
        ${event.repository?.commit ? html`<span class="detail">${words.commit(event.repository.commit.slice(0, 12))}</span>` : nothing}
        ${progress ? html`<span class="detail">${progress}</span>` : nothing}`;
      break;
    case 'failed':
      body = html`<span class="what">${words.failed(url)}</span> ${event.message ? html`<span class="detail">${event.message}</span>` : nothing}`;
      break;
    case 'instructions':
      body = html`<span class="what">${words.instructions(event.instructions?.length ?? 0)}</span>
        ${event.instructions?.length ? html`<span class="detail">${event.instructions.map((file) => file.path).join(', ')}</span>` : nothing}`;
      break;
    case 'uploaded':
      body = html`<span class="what">${words.uploaded(event.files?.length ?? 0)}</span>
        ${event.files?.length ? html`<span class="detail">${event.files.map((file) => file.path).join(', ')}</span>` : nothing}`;
      break;
    default:
      body = html`<span class="what">${item.phase}</span>`;
  }
  return html`<div class="workspace-event" part="workspace-event" data-seq=${item.seq} data-phase=${item.phase}>${body}</div>`;
}

/** Styles of `renderWorkspaceEvent` (in the conversation page's shadow root). */
export const workspaceEventStyles = css`
  .workspace-event {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px 10px;
    padding: 6px 10px;
    border-left: 3px solid var(--_accent);
    color: var(--_fg);
    font-size: 14px;
    overflow-wrap: anywhere;
  }
  .workspace-event[data-phase='failed'] {
    border-left-color: var(--_danger);
    color: var(--_danger);
  }
  .workspace-event[data-phase='ready'] {
    border-left-color: var(--_add);
  }
  .workspace-event .what {
    font-weight: var(--_semibold, 600);
  }
  .workspace-event .detail {
    color: var(--_muted);
  }
  .workspace-event progress {
    width: 8em;
  }
`;

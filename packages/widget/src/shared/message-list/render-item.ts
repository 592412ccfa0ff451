import { html, nothing, type TemplateResult } from 'lit';
import type { AssistantItem, TranscriptItem, UnknownItem, UserItem, WorkspaceItem } from '../chat/transcript.ts';
import { renderToolStep } from './tool-step.ts';
import { formatBytes } from '../i18n/format-bytes.ts';
import { errorText } from '../i18n/messages.ts';
import { renderMarkdown } from '../markdown/render-markdown.ts';
import type { ItemContext } from './item-context.ts';

export type { ItemContext } from './item-context.ts';

/**
 * One transcript item: a message, a tool step, a run error, a workspace event (`context.renderWorkspace`, else as it
 * came), or an event of a type this widget does not know.
 */
export function renderItem(item: TranscriptItem, context: ItemContext): TemplateResult | typeof nothing {
  switch (item.kind) {
    case 'user':
      // No whitespace around the text: the message keeps its own (`white-space: pre-wrap`).
      return html`<div class="message user ${item.isPending ? 'pending' : ''}" part="message message-user" data-seq=${item.seq ?? ''}><span class="sr-only"
          >${context.catalog.you}: </span
        >${item.content}${item.attachments.length > 0 ? renderUserAttachments(item, context) : nothing}</div
      >`;
    case 'assistant':
      return renderAssistant(item, context);
    case 'tool':
      return renderToolStep(item, context);
    case 'error':
      return html`<div class="run-error ${item.code === 'llm_retry' ? 'transient' : ''}" part="run-error" data-seq=${item.seq} data-code=${item.code}>
        ${errorText(context.catalog, item.code)}${context.showErrorMessages && item.message ? html`<div class="run-error-message">${item.message}</div>` : nothing}
      </div>`;
    case 'workspace':
      // The console tells what happened. Elsewhere an upload is shown by the message that names its files (the
      // composer uploads only to send them), and any other phase shows as it came.
      return context.renderWorkspace?.(item) ?? (item.phase === 'uploaded' ? nothing : renderUnknown(item, context));
    case 'unknown':
      return renderUnknown(item, context);
  }
}

/** The files a user message names (`attachments`): name and size, the path as a tooltip. */
function renderUserAttachments(item: UserItem, context: ItemContext): TemplateResult {
  return html`<ul class="message-attachments" part="message-attachments" aria-label=${context.catalog.attachments}>
    ${item.attachments.map(
      (file) =>
        html`<li part="message-attachment" data-path=${file.path} title=${file.path}>
          <span class="file-name">${file.path.split('/').pop()}</span>
          <span class="file-size">${formatBytes(file.size, context.catalog.locale)}</span>
        </li>`,
    )}
  </ul>`;
}

function renderAssistant(item: AssistantItem, context: ItemContext): TemplateResult | typeof nothing {
  if (item.content === '' && item.reasoning === '' && !item.isStreaming) return nothing;
  const { catalog } = context;
  return html`<div
    class="message assistant ${item.isStreaming ? 'streaming' : ''}"
    part="message message-assistant"
    data-seq=${item.seq ?? ''}
    data-message-id=${item.messageId}
  >
    <span class="sr-only">${catalog.agent}: </span>
    ${
      item.reasoning
        ? html`<details class="reasoning" part="reasoning">
          <summary>${catalog.reasoning}</summary>
          <div class="reasoning-text">${item.reasoning}</div>
        </details>`
        : nothing
    }
    <div class="markdown">${renderMarkdown(item.content, context.markdown)}</div>
  </div>`;
}

function renderUnknown(item: UnknownItem | WorkspaceItem, context: ItemContext): TemplateResult {
  return html`<details class="unknown" part="unknown-event" data-seq=${item.seq} data-type=${item.type}>
    <summary>${context.catalog.unknownEvent(item.type)}</summary>
    <pre class="terminal" tabindex="0">${JSON.stringify(item.event, null, 2)}</pre>
  </details>`;
}

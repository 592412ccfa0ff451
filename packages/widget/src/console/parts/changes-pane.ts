import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { Changes, MetisClient } from '@metisai/sdk';
import { messageListStyles } from '../../shared/message-list/message-list.styles.ts';
import { renderDiff } from '../../shared/message-list/tool-step.ts';
import { baseStyles } from '../../shared/styles/base.styles.ts';
import { tokenStyles } from '../../shared/styles/tokens.styles.ts';
import type { ConsoleCatalog } from '../i18n/console-messages.ts';

/**
 * `<metis-changes-pane>`: the conversation's workspace diff since its baseline (`GET /conversations/{id}/changes`),
 * file by file, each a collapsible unified diff drawn by the shared diff view. It reloads when `revision` changes (the
 * work view bumps it when a run ends).
 */
export class ChangesPane extends LitElement {
  static override styles = [
    tokenStyles,
    baseStyles,
    messageListStyles,
    css`
      :host {
        display: block;
        min-height: 0;
        overflow: auto;
      }
      .root {
        padding: 8px;
      }
      details {
        margin-bottom: 8px;
        border: 1px solid var(--_border);
        border-radius: 8px;
      }
      summary {
        display: flex;
        gap: 8px;
        align-items: baseline;
        padding: 6px 10px;
        cursor: pointer;
        font-family: var(--_mono);
        font-size: 13px;
      }
      .status {
        min-width: 70px;
        font-family: var(--_font);
        font-size: 12px;
        font-weight: var(--_bold, 700);
      }
      .status[data-status='added'] {
        color: var(--_add);
      }
      .status[data-status='deleted'] {
        color: var(--_del);
      }
      .note,
      .empty {
        padding: 6px 10px;
        color: var(--_muted);
        font-size: 13px;
      }
    `,
  ];

  static override properties = {
    client: { attribute: false },
    conversationId: { attribute: false },
    revision: { attribute: false },
    text: { attribute: false },
    theme: { reflect: true },
    changes: { state: true },
    failure: { state: true },
  };
  declare client: MetisClient;
  declare conversationId: string;
  declare revision: number;
  declare text: ConsoleCatalog;
  declare theme: string;
  declare changes: Changes | undefined;
  declare failure: string | undefined;

  constructor() {
    super();
    this.revision = 0;
    this.theme = 'light';
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('conversationId') || changed.has('revision')) void this.#load();
  }

  async #load(): Promise<void> {
    try {
      this.changes = await this.client.conversations.changes(this.conversationId);
      this.failure = undefined;
    } catch (error) {
      this.failure = error instanceof Error ? error.message : String(error);
    }
  }

  override render(): TemplateResult {
    const text = this.text;
    const changes = this.changes;
    return html`<div class="root">
      ${this.failure ? html`<p class="alert" role="alert">${this.failure}</p>` : nothing}
      ${
        changes === undefined
          ? html`<p class="empty">${text.loading}</p>`
          : changes.data.length === 0
            ? html`<p class="empty" data-empty>${text.noChanges}</p>`
            : changes.data.map(
                (change) =>
                  html`<details open data-change=${change.path}>
                    <summary><span class="status" data-status=${change.status}>${text.changeStatus[change.status] ?? change.status}</span>${change.path}</summary>
                    ${change.binary ? html`<p class="note">${text.binaryFile}</p>` : change.diff ? renderDiff(change.diff) : nothing}
                    ${change.truncated ? html`<p class="note">${text.truncated}</p>` : nothing}
                  </details>`,
              )
      }
      ${changes?.truncated ? html`<p class="note">${text.truncated}</p>` : nothing}
    </div>`;
  }
}

if (!customElements.get('metis-changes-pane')) customElements.define('metis-changes-pane', ChangesPane);

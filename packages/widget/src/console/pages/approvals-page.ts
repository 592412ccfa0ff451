import { html, type TemplateResult } from 'lit';
import type { Approval } from '@metisai/sdk';
import { ConsolePage } from '../app/console-page.ts';
import { FormErrors } from '../parts/form-errors.ts';
import { formatDateTime } from '../parts/format.ts';
import { consoleStyles } from '../styles/console.styles.ts';

/** `/approvals`: every action waiting for the owner, across conversations (visitors' included), with approve and reject. */
export class ApprovalsPage extends ConsolePage {
  static override styles = consoleStyles;
  static override properties = { ...ConsolePage.properties, approvals: { state: true }, errors: { state: true }, busy: { state: true } };
  declare approvals: Approval[] | undefined;
  declare errors: FormErrors;
  declare busy: string | undefined;

  constructor() {
    super();
    this.errors = FormErrors.none;
  }

  get pageTitle(): string {
    return this.app.text.titles.approvals;
  }

  protected override async load(): Promise<void> {
    try {
      this.approvals = (await this.app.client.approvals.list({ limit: 100 })).data;
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
      this.approvals = [];
    }
  }

  override render(): TemplateResult {
    const text = this.app.text;
    const language = this.app.language;
    return html`<div class="root">
      <div class="page">
        <h1>${text.titles.approvals}</h1>
        ${this.errors.alert()}
        ${
          this.approvals === undefined
            ? html`<p>${text.loading}</p>`
            : this.approvals.length === 0
              ? html`<p class="card empty" data-empty>${text.noApprovals}</p>`
              : this.approvals.map((approval) => {
                  const conversation = approval.conversation;
                  const args = approval.action.args;
                  const what = String(args.command ?? args.path ?? JSON.stringify(args));
                  const isBusy = this.busy === conversation.id;
                  return html`<section class="card" data-approval=${conversation.id} aria-labelledby=${`approval-${conversation.id}`}>
                    <h2 id=${`approval-${conversation.id}`}><a href=${`/conversations/${conversation.id}`}>${conversation.title || text.untitled}</a></h2>
                    <p class="hint">${approval.action.tool} · ${formatDateTime(language, approval.action.created_at)}</p>
                    <pre class="secret-once"><code>${what}</code></pre>
                    <div class="actions">
                      <button type="button" class="button primary" data-action="approve" ?disabled=${isBusy} @click=${() => this.#answer(approval, true)}>
                        ${text.approve}
                      </button>
                      <button type="button" class="button" data-action="reject" ?disabled=${isBusy} @click=${() => this.#answer(approval, false)}>${text.reject}</button>
                    </div>
                  </section>`;
                })
        }
      </div>
    </div>`;
  }

  async #answer(approval: Approval, approve: boolean): Promise<void> {
    this.busy = approval.conversation.id;
    try {
      await this.app.client.conversations.confirm(approval.conversation.id, { approve });
      this.app.announce(approve ? this.app.text.approve : this.app.text.reject);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    } finally {
      this.busy = undefined;
    }
    await this.load();
  }
}

if (!customElements.get('metis-approvals-page')) customElements.define('metis-approvals-page', ApprovalsPage);

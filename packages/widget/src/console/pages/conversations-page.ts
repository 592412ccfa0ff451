import { html, nothing, type TemplateResult } from 'lit';
import { type Agent, type Conversation, type ConversationState } from '@metisai/sdk';
import { CONVERSATION_STATES } from '@metisai/sdk/schemas';
import { ConsolePage } from '../app/console-page.ts';
import { FormErrors } from '../parts/form-errors.ts';
import { formatDateTime, formatNumber } from '../parts/format.ts';
import { consoleStyles } from '../styles/console.styles.ts';

const PAGE_SIZE = 20;

/**
 * `/conversations`: the user's conversations, newest first, filtered by agent, state and title words (kept in the
 * URL's query, so a filtered list can be linked and reloaded), paged by cursor; new, open and delete.
 */
export class ConversationsPage extends ConsolePage {
  static override styles = consoleStyles;
  static override properties = {
    ...ConsolePage.properties,
    agents: { state: true },
    conversations: { state: true },
    nextAfter: { state: true },
    errors: { state: true },
    pendingDelete: { state: true },
  };
  declare agents: Agent[];
  declare conversations: Conversation[] | undefined;
  declare nextAfter: string | null;
  declare errors: FormErrors;
  declare pendingDelete: Conversation | undefined;
  /** Cursors of the pages before this one (`after` of each), for "previous". */
  #cursors: (string | undefined)[] = [];

  constructor() {
    super();
    this.agents = [];
    this.nextAfter = null;
    this.errors = FormErrors.none;
  }

  get pageTitle(): string {
    return this.app.text.titles.conversations;
  }

  get #query(): URLSearchParams {
    return new URLSearchParams(this.params.search ?? '');
  }

  protected override async load(): Promise<void> {
    const query = this.#query;
    const after = query.get('after') ?? undefined;
    try {
      const [agents, page] = await Promise.all([
        this.agents.length > 0 ? Promise.resolve({ data: this.agents }) : this.app.client.agents.list({ limit: 100 }),
        this.app.client.conversations.list({
          limit: PAGE_SIZE,
          after,
          agent_id: query.get('agent') || undefined,
          state: (query.get('state') || undefined) as ConversationState | undefined,
          q: query.get('q') || undefined,
        }),
      ]);
      this.agents = agents.data;
      this.conversations = page.data;
      this.nextAfter = page.next_after;
      this.errors = FormErrors.none;
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, ['agent_id', 'state', 'q']);
      this.conversations = [];
    }
  }

  override render(): TemplateResult {
    const text = this.app.text;
    const query = this.#query;
    const language = this.app.language;
    const agentName = (id: string | null) => this.agents.find((agent) => agent.id === id)?.name ?? text.noAgent;
    const isFiltered = query.has('agent') || query.has('state') || query.has('q');
    return html`<div class="root">
      <div class="page">
        <div class="head">
          <h1>${text.titles.conversations}</h1>
          <button type="button" class="button" data-action="import" @click=${() => this.renderRoot.querySelector<HTMLInputElement>('#import-file')?.click()}>
            ${text.importConversation}
          </button>
          <input id="import-file" type="file" accept="application/json,.json" hidden aria-label=${text.importConversation} @change=${this.#handleImport} />
          <button type="button" class="button primary" data-action="new-conversation" @click=${this.#handleNew}>${text.newConversation}</button>
        </div>
        <form class="card row" role="search" aria-label=${text.filters} @submit=${this.#handleFilter} @change=${this.#handleFilter}>
          <div class="field">
            <label for="filter-agent">${text.agent}</label>
            <select id="filter-agent" name="agent">
              <option value="">${text.allAgents}</option>
              ${this.agents.map((agent) => html`<option value=${agent.id} ?selected=${query.get('agent') === agent.id}>${agent.name}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="filter-state">${text.status}</label>
            <select id="filter-state" name="state">
              <option value="">${text.allStates}</option>
              ${CONVERSATION_STATES.map((state) => html`<option value=${state} ?selected=${query.get('state') === state}>${text.states[state]}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="filter-q">${text.search}</label>
            <input id="filter-q" name="q" type="search" .value=${query.get('q') ?? ''} aria-invalid=${this.errors.invalid('q')} />
            ${this.errors.field('q')}
          </div>
        </form>
        ${this.errors.alert()}
        <section class="card" aria-labelledby="results-heading">
          <h2 id="results-heading" class="sr-only">${text.titles.conversations}</h2>
          ${
            this.conversations === undefined
              ? html`<p>${text.loading}</p>`
              : this.conversations.length === 0
                ? html`<p class="empty" data-empty>${isFiltered ? text.noMatches : text.noConversations}</p>`
                : html`<div class="table-wrap">
                  <table class="stack">
                    <thead>
                      <tr>
                        <th scope="col">${text.title}</th>
                        <th scope="col">${text.agent}</th>
                        <th scope="col">${text.status}</th>
                        <th scope="col">${text.usage}</th>
                        <th scope="col">${text.updated}</th>
                        <th scope="col"><span class="sr-only">${text.delete}</span></th>
                      </tr>
                    </thead>
                    <tbody>
                      ${this.conversations.map(
                        (conversation) =>
                          html`<tr data-conversation=${conversation.id}>
                            <td><a href=${`/conversations/${conversation.id}`}>${conversation.title || text.untitled}</a></td>
                            <td data-label=${text.agent}>${agentName(conversation.agent_id)}</td>
                            <td data-label=${text.status}><span class="badge" data-state=${conversation.state}>${text.states[conversation.state] ?? conversation.state}</span></td>
                            <td data-label=${text.usage}>${formatNumber(language, conversation.usage.total_tokens)}</td>
                            <td data-label=${text.updated}>${formatDateTime(language, conversation.updated_at)}</td>
                            <td>
                              <button type="button" class="button small danger" data-action="delete" @click=${() => this.#handleDeleteAsk(conversation)}>
                                ${text.delete}<span class="sr-only"> ${conversation.title || text.untitled}</span>
                              </button>
                            </td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>`
          }
          <div class="actions">
            ${query.has('after') ? html`<button type="button" class="button" @click=${this.#handlePrevious}>${text.previous}</button>` : nothing}
            ${this.nextAfter ? html`<button type="button" class="button" data-action="next-page" @click=${this.#handleNext}>${text.next}</button>` : nothing}
          </div>
        </section>
        <dialog id="delete-dialog" aria-labelledby="delete-heading">
          <h2 id="delete-heading">${text.deleteConfirm(this.pendingDelete?.title || text.untitled)}</h2>
          <div class="actions">
            <button type="button" class="button danger" data-action="confirm-delete" @click=${this.#handleDelete}>${text.delete}</button>
            <button type="button" class="button" @click=${() => this.#dialog?.close()}>${text.cancel}</button>
          </div>
        </dialog>
      </div>
    </div>`;
  }

  get #dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('#delete-dialog');
  }

  #go(query: URLSearchParams): void {
    const search = query.toString();
    this.app.navigate(`/conversations${search ? `?${search}` : ''}`, { replace: true });
  }

  #handleFilter = (event: Event) => {
    event.preventDefault();
    const form = new FormData((event.currentTarget as HTMLFormElement) ?? undefined);
    const query = new URLSearchParams();
    for (const name of ['agent', 'state', 'q']) {
      const value = String(form.get(name) ?? '').trim();
      if (value) query.set(name, value);
    }
    this.#cursors = [];
    this.#go(query);
  };

  #handleNext = () => {
    const query = this.#query;
    this.#cursors.push(query.get('after') ?? undefined);
    query.set('after', this.nextAfter!);
    this.#go(query);
  };

  #handlePrevious = () => {
    const query = this.#query;
    const previous = this.#cursors.pop();
    if (previous) query.set('after', previous);
    else query.delete('after');
    this.#go(query);
  };

  #handleNew = async () => {
    try {
      const agentId = this.#query.get('agent') || this.agents.find((agent) => agent.status === 'running')?.id || null;
      const conversation = await this.app.client.conversations.create({ agent_id: agentId });
      this.app.navigate(`/conversations/${conversation.id}`);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  };

  /** A conversation from an export document (`POST /conversations/import`), then opened. */
  #handleImport = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const document_ = JSON.parse(await file.text()) as Parameters<typeof this.app.client.conversations.import>[0];
      const conversation = await this.app.client.conversations.import(document_);
      this.app.navigate(`/conversations/${conversation.id}`);
    } catch (error) {
      this.errors = FormErrors.from(error instanceof SyntaxError ? { code: 'malformed_json' } : error, this.app.catalog, []);
    }
  };

  #handleDeleteAsk = (conversation: Conversation) => {
    this.pendingDelete = conversation;
    this.#dialog?.showModal();
  };

  #handleDelete = async () => {
    const conversation = this.pendingDelete;
    this.#dialog?.close();
    if (!conversation) return;
    try {
      await this.app.client.conversations.delete(conversation.id);
      this.conversations = this.conversations?.filter((entry) => entry.id !== conversation.id);
      this.app.announce(this.app.text.saved);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  };
}

if (!customElements.get('metis-conversations-page')) customElements.define('metis-conversations-page', ConversationsPage);

import { html, nothing, type TemplateResult } from 'lit';
import { type Agent, type Conversation, type ConversationCreateParams, type ConversationState, type Secret } from '@metisai/sdk';
import { CONVERSATION_STATES } from '@metisai/sdk/schemas';
import { ConsolePage } from '../app/console-page.ts';
import { conversationTitle } from '../parts/conversation-title.ts';
import { FormErrors } from '../parts/form-errors.ts';
import { formatDateTime, formatNumber } from '../parts/format.ts';
import { consoleStyles } from '../styles/console.styles.ts';

const PAGE_SIZE = 20;
/** The filters kept in the URL's query: `agent`, `state`, `q`, `visitors` (`only`, `none`) and `visitor` (an id). */
const FILTERS = ['agent', 'state', 'q', 'visitors', 'visitor'] as const;
/** The new-conversation form's fields, as the API names them in error paths. */
const NEW_FIELDS = ['agent_id', 'title', 'repository.url', 'repository.ref', 'repository.token_secret', 'repository.depth'];

/**
 * `/conversations`: the user's conversations, newest first, filtered by agent, state, title words and visitors (the
 * agents' visitors' only, the user's own only, or one visitor: a visitor's id in the list filters by it), kept in the
 * URL's query so a filtered list can be linked and reloaded; paged by cursor; open and delete. "New conversation" opens
 * a form: the agent, a title, and optionally a git repository to clone first (URL, branch or tag, a secret holding the
 * access token, depth), the API's field errors next to each field.
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
    secrets: { state: true },
    newErrors: { state: true },
    isCreating: { state: true },
  };
  declare agents: Agent[];
  declare conversations: Conversation[] | undefined;
  declare nextAfter: string | null;
  declare errors: FormErrors;
  declare pendingDelete: Conversation | undefined;
  /** The user's secrets, for the repository's token (loaded when the new-conversation form opens). */
  declare secrets: Secret[] | undefined;
  declare newErrors: FormErrors;
  declare isCreating: boolean;
  /** Cursors of the pages before this one (`after` of each), for "previous". */
  #cursors: (string | undefined)[] = [];

  constructor() {
    super();
    this.agents = [];
    this.nextAfter = null;
    this.errors = FormErrors.none;
    this.newErrors = FormErrors.none;
    this.isCreating = false;
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
          visitors: (query.get('visitors') || undefined) as 'only' | 'none' | undefined,
          visitor_id: query.get('visitor') || undefined,
        }),
      ]);
      this.agents = agents.data;
      this.conversations = page.data;
      this.nextAfter = page.next_after;
      this.errors = FormErrors.none;
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, ['agent_id', 'state', 'q', 'visitors', 'visitor_id']);
      this.conversations = [];
    }
  }

  override render(): TemplateResult {
    const text = this.app.text;
    const query = this.#query;
    const language = this.app.language;
    const agentName = (id: string | null) => this.agents.find((agent) => agent.id === id)?.name ?? text.noAgent;
    const isFiltered = FILTERS.some((name) => query.has(name));
    const embed = text.embed;
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
          <div class="field">
            <label for="filter-visitors">${embed.visitorsFilter}</label>
            <select id="filter-visitors" name="visitors">
              <option value="">${embed.visitorsAll}</option>
              <option value="only" ?selected=${query.get('visitors') === 'only'}>${embed.visitorsOnly}</option>
              <option value="none" ?selected=${query.get('visitors') === 'none'}>${embed.visitorsNone}</option>
            </select>
            ${this.errors.field('visitors')}
          </div>
          <div class="field">
            <label for="filter-visitor">${embed.visitorId}</label>
            <input
              id="filter-visitor"
              name="visitor"
              type="search"
              autocomplete="off"
              .value=${query.get('visitor') ?? ''}
              aria-invalid=${this.errors.invalid('visitor_id')}
              aria-describedby=${this.errors.describedBy('visitor_id')}
            />
            ${this.errors.field('visitor_id')}
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
                        <th scope="col">${embed.visitor}</th>
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
                            <td><a href=${`/conversations/${conversation.id}`}>${conversationTitle(conversation, text)}</a></td>
                            <td data-label=${text.agent}>${agentName(conversation.agent_id)}</td>
                            <td data-label=${embed.visitor}>
                              ${
                                conversation.visitor_id
                                  ? html`<a
                                      href=${`/conversations?visitor=${conversation.visitor_id}`}
                                      data-visitor=${conversation.visitor_id}
                                      aria-label=${embed.visitorFilter(conversation.visitor_id)}
                                      ><code>${conversation.visitor_id.slice(0, 8)}</code></a
                                    >`
                                  : html`<span class="hint">${embed.ownConversation}</span>`
                              }
                            </td>
                            <td data-label=${text.status}><span class="badge" data-state=${conversation.state}>${text.states[conversation.state] ?? conversation.state}</span></td>
                            <td data-label=${text.usage}>${formatNumber(language, conversation.usage.total_tokens)}</td>
                            <td data-label=${text.updated}>${formatDateTime(language, conversation.updated_at)}</td>
                            <td>
                              <button type="button" class="button small danger" data-action="delete" @click=${() => this.#handleDeleteAsk(conversation)}>
                                ${text.delete}<span class="sr-only"> ${conversationTitle(conversation, text)}</span>
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
        ${this.#renderNewDialog()}
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

  get #newDialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('#new-dialog');
  }

  #renderNewDialog(): TemplateResult {
    const text = this.app.text;
    const words = text.repository;
    const errors = this.newErrors;
    const running = this.agents.filter((agent) => agent.status === 'running');
    const chosen = this.#query.get('agent');
    const field = (name: string, label: string, input: TemplateResult, hint?: string) =>
      html`<div class="field">
        <label for=${`new-${name}`}>${label}</label>
        ${input} ${hint ? html`<span class="hint" id=${`new-${name}-hint`}>${hint}</span>` : nothing} ${errors.field(name === 'title' || name === 'agent_id' ? name : `repository.${name}`)}
      </div>`;
    const describedBy = (path: string, hint?: string) => errors.describedBy(path, hint);
    return html`<dialog id="new-dialog" aria-labelledby="new-heading">
      <form class="form" novalidate data-form="new-conversation" @submit=${this.#handleCreate}>
        <h2 id="new-heading">${words.newConversationHeading}</h2>
        ${errors.alert()}
        ${field(
          'agent_id',
          text.agent,
          html`<select id="new-agent_id" name="agent_id" aria-invalid=${errors.invalid('agent_id')} aria-describedby=${describedBy('agent_id')}>
            ${running.map((agent) => html`<option value=${agent.id} ?selected=${agent.id === chosen}>${agent.name}</option>`)}
            <option value="" ?selected=${running.length === 0}>${text.noAgent}</option>
          </select>`,
          running.length === 0 ? words.noRunningAgent : undefined,
        )}
        ${field('title', text.title, html`<input id="new-title" name="title" autocomplete="off" aria-invalid=${errors.invalid('title')} aria-describedby=${describedBy('title')} />`)}
        <fieldset>
          <legend>${words.fromRepository}</legend>
          ${field(
            'url',
            words.url,
            html`<input
              id="new-url"
              name="url"
              type="url"
              autocomplete="off"
              placeholder="https://github.com/owner/repo.git"
              aria-invalid=${errors.invalid('repository.url')}
              aria-describedby=${describedBy('repository.url', 'new-url-hint')}
            />`,
            words.urlHint,
          )}
          <div class="row">
            ${field(
              'ref',
              words.ref,
              html`<input id="new-ref" name="ref" autocomplete="off" aria-invalid=${errors.invalid('repository.ref')} aria-describedby=${describedBy('repository.ref', 'new-ref-hint')} />`,
              words.refHint,
            )}
            ${field(
              'depth',
              words.depth,
              html`<input
                id="new-depth"
                name="depth"
                type="number"
                min="1"
                step="1"
                aria-invalid=${errors.invalid('repository.depth')}
                aria-describedby=${describedBy('repository.depth', 'new-depth-hint')}
              />`,
              words.depthHint,
            )}
          </div>
          ${field(
            'token_secret',
            words.tokenSecret,
            html`<select
              id="new-token_secret"
              name="token_secret"
              aria-invalid=${errors.invalid('repository.token_secret')}
              aria-describedby=${describedBy('repository.token_secret', 'new-token_secret-hint')}
            >
              <option value="">${words.noToken}</option>
              ${(this.secrets ?? []).map((secret) => html`<option value=${secret.name}>${secret.name}</option>`)}
            </select>`,
            words.tokenSecretHint,
          )}
        </fieldset>
        <div class="actions">
          <button type="submit" class="button primary" data-action="create-conversation" ?disabled=${this.isCreating}>${text.create}</button>
          <button type="button" class="button" @click=${() => this.#newDialog?.close()}>${text.cancel}</button>
        </div>
      </form>
    </dialog>`;
  }

  #go(query: URLSearchParams): void {
    const search = query.toString();
    this.app.navigate(`/conversations${search ? `?${search}` : ''}`, { replace: true });
  }

  #handleFilter = (event: Event) => {
    event.preventDefault();
    const form = new FormData((event.currentTarget as HTMLFormElement) ?? undefined);
    const query = new URLSearchParams();
    for (const name of FILTERS) {
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

  /** Opens the new-conversation form (the user's secrets are read then, for the repository's token). */
  #handleNew = async () => {
    this.newErrors = FormErrors.none;
    this.renderRoot.querySelector<HTMLFormElement>('form[data-form="new-conversation"]')?.reset();
    this.#newDialog?.showModal();
    if (this.secrets === undefined) {
      try {
        this.secrets = (await this.app.client.secrets.list({ limit: 100 })).data;
      } catch {
        this.secrets = [];
      }
    }
  };

  #handleCreate = async (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const str = (name: string) => String(data.get(name) ?? '').trim();
    const params: ConversationCreateParams = { agent_id: str('agent_id') || null };
    if (str('title')) params.title = str('title');
    if (str('url')) {
      params.repository = { url: str('url') };
      if (str('ref')) params.repository.ref = str('ref');
      if (str('token_secret')) params.repository.token_secret = str('token_secret');
      if (str('depth')) params.repository.depth = Number(str('depth'));
    }
    this.isCreating = true;
    try {
      const conversation = await this.app.client.conversations.create(params);
      this.#newDialog?.close();
      this.app.navigate(`/conversations/${conversation.id}`);
    } catch (error) {
      this.newErrors = FormErrors.from(error, this.app.catalog, NEW_FIELDS);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('form[data-form="new-conversation"] [aria-invalid="true"]')?.focus();
    } finally {
      this.isCreating = false;
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

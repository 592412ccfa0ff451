import { html, type TemplateResult } from 'lit';
import type { Agent } from '@metisai/sdk';
import { ConsolePage } from '../app/console-page.ts';
import { FormErrors } from '../parts/form-errors.ts';
import { formatDateTime } from '../parts/format.ts';
import { consoleStyles } from '../styles/console.styles.ts';

/** `/agents`: the user's agents with their status, and a form creating one (then configured on its own page). */
export class AgentsPage extends ConsolePage {
  static override styles = consoleStyles;
  static override properties = { ...ConsolePage.properties, agents: { state: true }, errors: { state: true }, isBusy: { state: true } };
  declare agents: Agent[] | undefined;
  declare errors: FormErrors;
  declare isBusy: boolean;

  constructor() {
    super();
    this.errors = FormErrors.none;
    this.isBusy = false;
  }

  get pageTitle(): string {
    return this.app.text.titles.agents;
  }

  protected override async load(): Promise<void> {
    this.agents = (await this.app.client.agents.list({ limit: 100 })).data;
  }

  override render(): TemplateResult {
    const text = this.app.text;
    const language = this.app.language;
    return html`<div class="root">
      <div class="page">
        <h1>${text.titles.agents}</h1>
        <section class="card" aria-labelledby="list-heading">
          <h2 id="list-heading" class="sr-only">${text.titles.agents}</h2>
          ${
            this.agents === undefined
              ? html`<p>${text.loading}</p>`
              : this.agents.length === 0
                ? html`<p class="empty">${text.noAgents}</p>`
                : html`<div class="table-wrap">
                  <table class="stack">
                    <thead>
                      <tr>
                        <th scope="col">${text.agentName}</th>
                        <th scope="col">${text.status}</th>
                        <th scope="col">${text.fields.llm_model}</th>
                        <th scope="col">${text.updated}</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${this.agents.map(
                        (agent) =>
                          html`<tr data-agent=${agent.id}>
                            <td><a href=${`/agents/${agent.id}`}>${agent.name}</a></td>
                            <td data-label=${text.status}><span class="badge" data-status=${agent.status}>${text.statuses[agent.status] ?? agent.status}</span></td>
                            <td data-label=${text.fields.llm_model}>${agent.config.llm_model ? html`<code>${agent.config.llm_model}</code>` : text.fromSettings}</td>
                            <td data-label=${text.updated}>${formatDateTime(language, agent.updated_at)}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>`
          }
        </section>
        <section class="card" aria-labelledby="new-heading">
          <h2 id="new-heading">${text.newAgent}</h2>
          <form class="form" @submit=${this.#handleCreate} novalidate>
            ${this.errors.alert()}
            <div class="field">
              <label for="agent-name">${text.agentName}</label>
              <input id="agent-name" name="name" required aria-invalid=${this.errors.invalid('name')} aria-describedby=${this.errors.describedBy('name')} />
              ${this.errors.field('name')}
            </div>
            <div class="field">
              <label for="agent-description">${text.description} <span class="hint">(${text.optional})</span></label>
              <input id="agent-description" name="description" aria-invalid=${this.errors.invalid('description')} />
              ${this.errors.field('description')}
            </div>
            <div class="actions"><button type="submit" class="button primary" ?disabled=${this.isBusy}>${text.create}</button></div>
          </form>
        </section>
      </div>
    </div>`;
  }

  #handleCreate = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    this.isBusy = true;
    try {
      const agent = await this.app.client.agents.create({
        name: String(form.get('name') ?? ''),
        description: String(form.get('description') ?? '').trim() || null,
      });
      this.app.navigate(`/agents/${agent.id}`);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, ['name', 'description']);
    } finally {
      this.isBusy = false;
    }
  };
}

if (!customElements.get('metis-agents-page')) customElements.define('metis-agents-page', AgentsPage);

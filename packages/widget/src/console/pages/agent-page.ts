import { css, html, nothing, type TemplateResult } from 'lit';
import { type Agent, type AgentConfigInput, type Secret } from '@metisai/sdk';
import { ALL_TOOLS, NETWORK_POLICIES } from '@metisai/sdk/schemas';
import { ConsolePage } from '../app/console-page.ts';
import { renderAgentPageLoading, renderAgentTabs } from '../parts/agent-tabs.ts';
import { FormErrors } from '../parts/form-errors.ts';
import { consoleStyles } from '../styles/console.styles.ts';

/** How often a starting or stopping agent's status is read again. */
const STATUS_POLL_MS = 1_000;
const NEW_SECRET = '__new__';

/** The config fields the form edits, as the API names them (`config.<name>` in error paths). */
const CONFIG_FIELDS = [
  'llm_model',
  'llm_base_url',
  'llm_api_key_secret',
  'system_prompt',
  'tools',
  'confirmation_mode',
  'sandbox_image',
  'network',
  'secrets',
  'warm_pool_size',
  'idle_timeout_seconds',
  'max_budget_tokens',
  'llm_timeout_seconds',
  'llm_idle_timeout_seconds',
  'max_iterations',
  'text_tool_calls',
] as const;
const KNOWN_FIELDS = ['name', 'description', ...CONFIG_FIELDS.map((field) => `config.${field}`), 'new_secret.name', 'new_secret.value'];

/**
 * `/agents/:id`: an agent's typed configuration (the API key as a secret picker with an inline "new secret"), its
 * status with start and stop (polled while it moves), a new conversation, and delete with confirmation. Field errors
 * of the API show next to their fields. Embedding (`config.embed`, publishable keys) is the Embed tab's
 * (`/agents/:id/embed`); saving here keeps it as it is.
 */
export class AgentPage extends ConsolePage {
  static override styles = [
    ...consoleStyles,
    css`
      .status-line {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 10px;
        margin-bottom: 16px;
      }
      .checks {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 16px;
      }
      .inline-secret {
        display: grid;
        grid-template-columns: 1fr 1fr auto;
        gap: 8px;
        align-items: end;
      }
      @media (max-width: 639.98px) {
        .inline-secret {
          grid-template-columns: 1fr;
        }
      }
    `,
  ];

  static override properties = {
    ...ConsolePage.properties,
    agent: { state: true },
    secrets: { state: true },
    errors: { state: true },
    notice: { state: true },
    isBusy: { state: true },
    keyChoice: { state: true },
    loadError: { state: true },
    allowedImages: { state: true },
  };
  declare agent: Agent | undefined;
  declare secrets: Secret[];
  declare errors: FormErrors;
  declare notice: string;
  declare isBusy: boolean;
  declare keyChoice: string;
  declare loadError: FormErrors | undefined;
  /** The images (or patterns) this server allows for sandboxes (`server-info`), offered for the sandbox image. */
  declare allowedImages: string[];
  #pollTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.secrets = [];
    this.errors = FormErrors.none;
    this.notice = '';
    this.isBusy = false;
    this.keyChoice = '';
    this.allowedImages = [];
  }

  get pageTitle(): string {
    return this.agent?.name ?? this.app.text.titles.agents;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#pollTimer);
  }

  protected override async load(): Promise<void> {
    clearTimeout(this.#pollTimer);
    this.errors = FormErrors.none;
    this.notice = '';
    this.loadError = undefined;
    try {
      const [agent, secrets, info] = await Promise.all([
        this.app.client.agents.get(this.params.id!),
        this.app.client.secrets.list({ limit: 100 }),
        this.app.client.serverInfo.get().catch(() => undefined),
      ]);
      this.agent = agent;
      this.secrets = secrets.data;
      this.allowedImages = info?.sandbox_allowed_images ?? [];
      this.keyChoice = agent.config.llm_api_key_secret ?? '';
      this.app.setTitle(agent.name);
      this.#pollWhileMoving();
    } catch (error) {
      this.agent = undefined;
      this.loadError = FormErrors.from(error, this.app.catalog, []);
    }
  }

  override render(): TemplateResult {
    const text = this.app.text;
    const agent = this.agent;
    if (!agent) {
      return renderAgentPageLoading(text, text.titles.agents, this.loadError);
    }
    return html`<div class="root">
      <div class="page">
        <div class="head">
          <h1>${agent.name}</h1>
          <button type="button" class="button danger" data-action="delete-agent" @click=${this.#handleDeleteAsk}>${text.delete}</button>
        </div>
        ${renderAgentTabs(text, agent.id, 'config')} ${this.#renderStatus(agent)}
        ${this.#renderForm(agent)}
        <dialog id="delete-dialog" aria-labelledby="delete-heading">
          <h2 id="delete-heading">${text.deleteConfirm(agent.name)}</h2>
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

  #renderStatus(agent: Agent): TemplateResult {
    const text = this.app.text;
    const isMoving = agent.status === 'starting' || agent.status === 'stopping';
    // The first start's image build reports its progress (`status_detail`): told in the reader's language; other phases
    // (a newer server's) keep the server's sentence.
    const detail = agent.status === 'starting' ? agent.status_detail : undefined;
    const hasSteps = typeof detail?.step === 'number' && typeof detail.steps === 'number' && detail.steps > 0;
    const message =
      detail?.phase === 'building_image'
        ? text.buildingImage({
            image: detail.image ?? '',
            step: detail.step ?? null,
            steps: detail.steps ?? null,
            instruction: detail.instruction ?? null,
            logLines: detail.log_lines ?? null,
          })
        : agent.status_message;
    return html`<div class="status-line" aria-live="polite">
      <span class="badge" data-status=${agent.status} data-agent-status>${text.statuses[agent.status] ?? agent.status}</span>
      ${message ? html`<span class="hint" data-status-message>${message}</span>` : nothing}
      ${
        hasSteps
          ? html`<progress data-build-progress max=${detail!.steps!} value=${detail!.step!} aria-label=${message ?? text.starting}></progress>`
          : agent.status === 'starting'
            ? html`<progress data-build-progress aria-label=${text.starting}></progress>`
            : nothing
      }
      ${
        agent.status === 'running' || agent.status === 'starting'
          ? // A starting agent can be stopped too (a long first image build).
            html`<button type="button" class="button" data-action="stop-agent" ?disabled=${agent.status === 'stopping'} @click=${this.#handleStop}>${text.stop}</button>`
          : html`<button type="button" class="button primary" data-action="start-agent" ?disabled=${isMoving} @click=${this.#handleStart}>${text.start}</button>`
      }
      <button type="button" class="button" data-action="new-conversation" ?disabled=${agent.status !== 'running'} @click=${this.#handleNewConversation}>
        ${text.newConversation}
      </button>
    </div>`;
  }

  #renderForm(agent: Agent): TemplateResult {
    const text = this.app.text;
    const errors = this.errors;
    const config = agent.config;
    const id = (name: string) => `field-${name}`;
    const path = (name: string) => `config.${name}`;
    const input = (
      name: (typeof CONFIG_FIELDS)[number],
      value: unknown,
      options: { type?: string; hint?: string; min?: number; step?: string; list?: string } = {},
    ) =>
      html`<div class="field">
        <label for=${id(name)}>${text.fields[name]}</label>
        <input
          id=${id(name)}
          name=${name}
          type=${options.type ?? 'text'}
          min=${options.min ?? nothing}
          step=${options.step ?? nothing}
          list=${options.list ?? nothing}
          .value=${value === undefined || value === null ? '' : String(value)}
          aria-invalid=${errors.invalid(path(name))}
          aria-describedby=${errors.describedBy(path(name), options.hint ? `${id(name)}-hint` : undefined)}
        />
        ${options.hint ? html`<span class="hint" id=${`${id(name)}-hint`}>${options.hint}</span>` : nothing} ${errors.field(path(name))}
      </div>`;
    return html`<form class="form" @submit=${this.#handleSave} novalidate data-form="agent">
      ${errors.alert()} ${this.notice ? html`<p class="ok" role="status">${this.notice}</p>` : nothing}
      <div class="field">
        <label for="field-name">${text.agentName}</label>
        <input id="field-name" name="name" .value=${agent.name} aria-invalid=${errors.invalid('name')} aria-describedby=${errors.describedBy('name')} />
        ${errors.field('name')}
      </div>
      <div class="field">
        <label for="field-description">${text.description}</label>
        <input id="field-description" name="description" .value=${agent.description ?? ''} />
      </div>
      <div class="row">
        ${input('llm_model', config.llm_model, { hint: text.hints.llm_model })} ${input('llm_base_url', config.llm_base_url, { type: 'url', hint: text.hints.llm_base_url })}
      </div>
      <div class="field">
        <label for="field-llm_api_key_secret">${text.fields.llm_api_key_secret}</label>
        <select
          id="field-llm_api_key_secret"
          name="llm_api_key_secret"
          aria-invalid=${errors.invalid('config.llm_api_key_secret')}
          aria-describedby=${errors.describedBy('config.llm_api_key_secret', 'field-llm_api_key_secret-hint')}
          @change=${(event: Event) => {
            this.keyChoice = (event.target as HTMLSelectElement).value;
          }}
        >
          <option value="" ?selected=${this.keyChoice === ''}>${text.fromSettings}</option>
          ${this.secrets.map((secret) => html`<option value=${secret.name} ?selected=${this.keyChoice === secret.name}>${secret.name}</option>`)}
          <option value=${NEW_SECRET} ?selected=${this.keyChoice === NEW_SECRET}>${text.newSecretInline}</option>
        </select>
        <span class="hint" id="field-llm_api_key_secret-hint">${text.hints.llm_api_key_secret}</span>
        ${errors.field('config.llm_api_key_secret')}
      </div>
      ${
        this.keyChoice === NEW_SECRET
          ? html`<fieldset>
            <legend>${text.newSecretInline}</legend>
            <div class="inline-secret">
              <div class="field">
                <label for="new-secret-name">${text.secretName}</label>
                <input id="new-secret-name" name="new_secret_name" autocomplete="off" aria-invalid=${errors.invalid('new_secret.name')} />
                ${errors.field('new_secret.name')}
              </div>
              <div class="field">
                <label for="new-secret-value">${text.secretValue}</label>
                <input id="new-secret-value" name="new_secret_value" type="password" autocomplete="off" aria-invalid=${errors.invalid('new_secret.value')} />
                ${errors.field('new_secret.value')}
              </div>
              <button type="button" class="button" data-action="create-secret" @click=${this.#handleCreateSecret}>${text.create}</button>
            </div>
          </fieldset>`
          : nothing
      }
      <div class="field">
        <label for="field-system_prompt">${text.fields.system_prompt}</label>
        <textarea id="field-system_prompt" name="system_prompt" class="input" .value=${config.system_prompt ?? ''} aria-invalid=${errors.invalid('config.system_prompt')}></textarea>
        ${errors.field('config.system_prompt')}
      </div>
      <fieldset>
        <legend>${text.fields.tools}</legend>
        <div class="checks">
          ${ALL_TOOLS.map(
            (tool) =>
              html`<label class="check"><input type="checkbox" name="tools" value=${tool} ?checked=${config.tools.includes(tool)} />${text.toolNames[tool] ?? tool}</label>`,
          )}
        </div>
        ${errors.field('config.tools')}
      </fieldset>
      <div class="row">
        <div class="field">
          <label for="field-confirmation_mode">${text.fields.confirmation_mode}</label>
          <select id="field-confirmation_mode" name="confirmation_mode">
            <option value="" ?selected=${config.confirmation_mode === undefined}>${text.inherit}</option>
            <option value="true" ?selected=${config.confirmation_mode === true}>${text.on}</option>
            <option value="false" ?selected=${config.confirmation_mode === false}>${text.off}</option>
          </select>
        </div>
        <div class="field">
          <label for="field-network">${text.fields.network}</label>
          <select id="field-network" name="network" aria-invalid=${errors.invalid('config.network')}>
            ${NETWORK_POLICIES.map((policy) => html`<option value=${policy} ?selected=${(config.network ?? 'egress') === policy}>${text.networks[policy]}</option>`)}
          </select>
          ${errors.field('config.network')}
        </div>
      </div>
      ${input('sandbox_image', config.sandbox_image, {
        hint: this.allowedImages.length > 0 ? `${text.hints.sandbox_image} ${text.allowedImages(this.allowedImages.join(', '))}` : text.hints.sandbox_image,
        list: 'allowed-images',
      })}
      <datalist id="allowed-images">${this.allowedImages.filter((image) => !image.includes('*')).map((image) => html`<option value=${image}></option>`)}</datalist>
      <fieldset>
        <legend>${text.fields.secrets}</legend>
        <p class="hint">${text.hints.secrets}</p>
        <div class="checks">
          ${
            this.secrets.length === 0
              ? html`<span class="empty">${text.noSecrets}</span>`
              : this.secrets.map(
                  (secret) =>
                    html`<label class="check"><input type="checkbox" name="secrets" value=${secret.name} ?checked=${config.secrets.includes(secret.name)} /><code>${secret.name}</code></label>`,
                )
          }
        </div>
        ${errors.field('config.secrets')}
      </fieldset>
      <div class="row">
        ${input('warm_pool_size', config.warm_pool_size, { type: 'number', min: 0 })} ${input('idle_timeout_seconds', config.idle_timeout_seconds, { type: 'number', min: 30 })}
        ${input('max_iterations', config.max_iterations, { type: 'number', min: 1, hint: text.hints.seconds.replace(/\(.*\)/, '') })}
      </div>
      <div class="row">
        ${input('max_budget_tokens', config.max_budget_tokens, { type: 'number', min: 1, hint: text.hints.max_budget_tokens })}
        ${input('llm_timeout_seconds', config.llm_timeout_seconds, { type: 'number', min: 0.1, step: 'any', hint: text.hints.seconds })}
        ${input('llm_idle_timeout_seconds', config.llm_idle_timeout_seconds, { type: 'number', min: 0.1, step: 'any', hint: text.hints.seconds })}
      </div>
      <label class="check"><input type="checkbox" name="text_tool_calls" ?checked=${config.text_tool_calls !== false} />${text.fields.text_tool_calls}</label>
      <div class="actions"><button type="submit" class="button primary" ?disabled=${this.isBusy}>${text.save}</button></div>
    </form>`;
  }

  /** The config as the form holds it: empty fields are left out (the user's settings or the server's default apply). */
  #readConfig(form: HTMLFormElement): AgentConfigInput {
    const data = new FormData(form);
    const str = (name: string) => String(data.get(name) ?? '').trim();
    const num = (name: string) => (str(name) === '' ? undefined : Number(str(name)));
    const keySecret = str('llm_api_key_secret');
    const confirmation = str('confirmation_mode');
    const config: Record<string, unknown> = {
      llm_model: str('llm_model') || undefined,
      llm_base_url: str('llm_base_url') || undefined,
      llm_api_key_secret: keySecret && keySecret !== NEW_SECRET ? keySecret : undefined,
      system_prompt: str('system_prompt') || undefined,
      tools: data.getAll('tools').map(String),
      confirmation_mode: confirmation === '' ? undefined : confirmation === 'true',
      sandbox_image: str('sandbox_image') || undefined,
      network: str('network') || undefined,
      secrets: data.getAll('secrets').map(String),
      warm_pool_size: num('warm_pool_size'),
      idle_timeout_seconds: num('idle_timeout_seconds'),
      max_iterations: num('max_iterations'),
      max_budget_tokens: num('max_budget_tokens'),
      llm_timeout_seconds: num('llm_timeout_seconds'),
      llm_idle_timeout_seconds: num('llm_idle_timeout_seconds'),
      text_tool_calls: data.get('text_tool_calls') !== null,
      // The Embed tab edits it: `PUT` replaces the whole config, so it is sent back unchanged.
      embed: this.agent?.config.embed,
    };
    for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
    return config as AgentConfigInput;
  }

  #handleSave = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    this.isBusy = true;
    this.notice = '';
    try {
      this.agent = await this.app.client.agents.update(this.params.id!, {
        name: String(data.get('name') ?? ''),
        description: String(data.get('description') ?? '').trim() || null,
        config: this.#readConfig(form),
      });
      this.errors = FormErrors.none;
      this.notice = this.app.text.saved;
      this.app.setTitle(this.agent.name);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, KNOWN_FIELDS);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    } finally {
      this.isBusy = false;
    }
  };

  #handleCreateSecret = async () => {
    const name = this.renderRoot.querySelector<HTMLInputElement>('#new-secret-name')!.value.trim();
    const value = this.renderRoot.querySelector<HTMLInputElement>('#new-secret-value')!.value;
    try {
      const secret = await this.app.client.secrets.create({ name, value });
      this.secrets = [secret, ...this.secrets];
      this.keyChoice = secret.name;
      this.errors = FormErrors.none;
      this.app.announce(this.app.text.saved);
    } catch (error) {
      const errors = FormErrors.from(error, this.app.catalog, ['name', 'value']);
      const fields: Record<string, string> = {};
      for (const [field, message] of Object.entries(errors.fields)) fields[`new_secret.${field}`] = message;
      this.errors = new FormErrors(fields, errors.general, errors.code);
    }
  };

  #handleStart = async () => {
    try {
      await this.app.client.agents.start(this.params.id!);
      this.agent = await this.app.client.agents.get(this.params.id!);
      this.#pollWhileMoving();
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  };

  #handleStop = async () => {
    try {
      await this.app.client.agents.stop(this.params.id!);
      this.agent = await this.app.client.agents.get(this.params.id!);
      this.#pollWhileMoving();
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  };

  /** While the agent starts or stops, its status (and the image build's progress) is read every second. */
  #pollWhileMoving(): void {
    clearTimeout(this.#pollTimer);
    const status = this.agent?.status;
    if (status !== 'starting' && status !== 'stopping') return;
    this.#pollTimer = setTimeout(async () => {
      try {
        const agent = await this.app.client.agents.get(this.params.id!);
        if (agent.id !== this.agent?.id) return;
        this.agent = { ...this.agent, status: agent.status, status_message: agent.status_message, status_detail: agent.status_detail };
        if (agent.status !== status) this.app.announce(this.app.text.statuses[agent.status] ?? agent.status);
      } catch {
        // The next poll tries again; the banner reports an unreachable server.
      }
      this.#pollWhileMoving();
    }, STATUS_POLL_MS);
  }

  #handleNewConversation = async () => {
    try {
      const conversation = await this.app.client.conversations.create({ agent_id: this.params.id! });
      this.app.navigate(`/conversations/${conversation.id}`);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  };

  #handleDeleteAsk = () => this.#dialog?.showModal();

  #handleDelete = async () => {
    try {
      await this.app.client.agents.delete(this.params.id!);
      this.#dialog?.close();
      this.app.navigate('/agents');
    } catch (error) {
      this.#dialog?.close();
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  };
}

if (!customElements.get('metis-agent-page')) customElements.define('metis-agent-page', AgentPage);

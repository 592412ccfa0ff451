import { html, nothing, type TemplateResult } from 'lit';
import { type Agent, type ApiKey, type ApiKeyScope, type LlmTestResult, type Secret, type Session, type Settings } from '@metisai/sdk';
import { API_KEY_SCOPES } from '@metisai/sdk/schemas';
import { ConsolePage } from '../app/console-page.ts';
import { FormErrors } from '../parts/form-errors.ts';
import { copyText, formatDateTime } from '../parts/format.ts';
import { consoleStyles } from '../styles/console.styles.ts';

/** Providers with their base URLs (docs/providers.md); `custom` keeps whatever URL is typed. */
export const LLM_PRESETS = [
  { id: 'openai', label: 'OpenAI', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini' },
  { id: 'ollama', label: 'Ollama', baseUrl: 'http://localhost:11434/v1', model: 'qwen2.5-coder:7b' },
  { id: 'vllm', label: 'vLLM', baseUrl: 'http://localhost:8000/v1', model: '' },
  { id: 'lmstudio', label: 'LM Studio', baseUrl: 'http://localhost:1234/v1', model: '' },
  { id: 'deepseek', label: 'DeepSeek', baseUrl: 'https://api.deepseek.com/v1', model: 'deepseek-chat' },
  { id: 'openrouter', label: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', model: '' },
  { id: 'azure', label: 'Azure OpenAI', baseUrl: 'https://RESOURCE.openai.azure.com/openai/v1', model: '' },
] as const;

type Tab = 'llm' | 'secrets' | 'api-keys' | 'account';
const TABS: readonly Tab[] = ['llm', 'secrets', 'api-keys', 'account'];
const LLM_FIELDS = ['llm_model', 'llm_base_url', 'llm_api_key', 'confirmation_mode', 'max_iterations'];

/**
 * `/settings/llm`, `/settings/secrets`, `/settings/api-keys`, `/settings/account`: the LLM (provider presets, model,
 * write-only key, test connection with its error next to the field at fault), secrets (write-only values, replace),
 * API keys (scopes, agent restriction, shown once), and the account (password, sessions, sign out, delete).
 */
export class SettingsPage extends ConsolePage {
  static override styles = consoleStyles;
  static override properties = {
    ...ConsolePage.properties,
    settings: { state: true },
    secrets: { state: true },
    apiKeys: { state: true },
    agents: { state: true },
    sessions: { state: true },
    errors: { state: true },
    notice: { state: true },
    testResult: { state: true },
    isTesting: { state: true },
    createdKey: { state: true },
    editingSecret: { state: true },
    baseUrl: { state: true },
    model: { state: true },
  };
  declare settings: Settings | undefined;
  declare secrets: Secret[] | undefined;
  declare apiKeys: ApiKey[] | undefined;
  declare agents: Agent[];
  declare sessions: Session[] | undefined;
  declare errors: FormErrors;
  declare notice: string;
  declare testResult: LlmTestResult | undefined;
  declare isTesting: boolean;
  declare createdKey: string | undefined;
  declare editingSecret: string | undefined;
  declare baseUrl: string;
  declare model: string;

  constructor() {
    super();
    this.agents = [];
    this.errors = FormErrors.none;
    this.notice = '';
    this.isTesting = false;
    this.baseUrl = '';
    this.model = '';
  }

  get #tab(): Tab {
    return TABS.includes(this.params.tab as Tab) ? (this.params.tab as Tab) : 'llm';
  }

  get pageTitle(): string {
    const text = this.app.text;
    const names: Record<Tab, string> = {
      llm: text.settingsTabs.llm,
      secrets: text.settingsTabs.secrets,
      'api-keys': text.settingsTabs.apiKeys,
      account: text.settingsTabs.account,
    };
    return `${names[this.#tab]} · ${text.titles.settings}`;
  }

  protected override async load(): Promise<void> {
    if (!TABS.includes(this.params.tab as Tab)) {
      this.app.navigate('/settings/llm', { replace: true });
      return;
    }
    this.errors = FormErrors.none;
    this.notice = '';
    this.testResult = undefined;
    this.createdKey = undefined;
    const client = this.app.client;
    try {
      switch (this.#tab) {
        case 'llm':
          this.settings = await client.settings.get();
          this.baseUrl = this.settings.llm_base_url ?? '';
          this.model = this.settings.llm_model ?? '';
          break;
        case 'secrets':
          this.secrets = (await client.secrets.list({ limit: 100 })).data;
          break;
        case 'api-keys': {
          const [keys, agents] = await Promise.all([client.apiKeys.list({ limit: 100 }), client.agents.list({ limit: 100 })]);
          this.apiKeys = keys.data;
          this.agents = agents.data;
          break;
        }
        case 'account':
          this.sessions = await client.auth.sessions.list();
          break;
      }
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  }

  override render(): TemplateResult {
    const text = this.app.text;
    const tab = this.#tab;
    const tabLink = (id: Tab, label: string) => html`<li><a href=${`/settings/${id}`} aria-current=${tab === id ? 'page' : 'false'}>${label}</a></li>`;
    return html`<div class="root">
      <div class="page">
        <h1>${text.titles.settings}</h1>
        <ul class="tabs">
          ${tabLink('llm', text.settingsTabs.llm)} ${tabLink('secrets', text.settingsTabs.secrets)} ${tabLink('api-keys', text.settingsTabs.apiKeys)}
          ${tabLink('account', text.settingsTabs.account)}
        </ul>
        ${this.notice ? html`<p class="ok" role="status">${this.notice}</p>` : nothing}
        ${tab === 'llm' ? this.#renderLlm() : tab === 'secrets' ? this.#renderSecrets() : tab === 'api-keys' ? this.#renderApiKeys() : this.#renderAccount()}
      </div>
    </div>`;
  }

  // --- LLM

  #renderLlm(): TemplateResult {
    const text = this.app.text;
    const settings = this.settings;
    if (!settings) return html`${this.errors.alert()}<p>${text.loading}</p>`;
    const errors = this.errors;
    const test = this.testResult;
    // The test's error goes next to the field it names (else under the button).
    const testError = test && !test.ok && test.error ? (text.llmErrors[test.error.code] ?? text.llmErrors.llm_error!) + ` ${test.error.message}` : undefined;
    const testField = test?.error?.field;
    const fieldError = (name: string) =>
      testError && testField === name
        ? html`<span class="field-error" id=${`test-error-${name}`} data-field-error=${name}>${testError}</span>`
        : errors.field(name);
    const invalid = (name: string) => (testError && testField === name ? 'true' : errors.invalid(name));
    const described = (name: string, hint?: string) =>
      [hint, testError && testField === name ? `test-error-${name}` : undefined, errors.fields[name] ? `error-${name}` : undefined].filter(Boolean).join(' ');
    const preset = LLM_PRESETS.find((entry) => entry.baseUrl === this.baseUrl)?.id ?? 'custom';
    return html`<form class="form card" @submit=${this.#handleSaveLlm} novalidate data-form="llm">
      ${errors.alert()}
      <div class="field">
        <label for="preset">${text.provider}</label>
        <select id="preset" @change=${this.#handlePreset}>
          ${LLM_PRESETS.map((entry) => html`<option value=${entry.id} ?selected=${preset === entry.id}>${entry.label}</option>`)}
          <option value="custom" ?selected=${preset === 'custom'}>${text.custom}</option>
        </select>
      </div>
      <div class="field">
        <label for="llm_base_url">${text.fields.llm_base_url}</label>
        <input
          id="llm_base_url"
          name="llm_base_url"
          type="url"
          .value=${this.baseUrl}
          @input=${(event: Event) => {
            this.baseUrl = (event.target as HTMLInputElement).value;
          }}
          aria-invalid=${invalid('llm_base_url')}
          aria-describedby=${described('llm_base_url')}
        />
        ${fieldError('llm_base_url')}
      </div>
      <div class="field">
        <label for="llm_model">${text.fields.llm_model}</label>
        <input
          id="llm_model"
          name="llm_model"
          .value=${this.model}
          @input=${(event: Event) => {
            this.model = (event.target as HTMLInputElement).value;
          }}
          aria-invalid=${invalid('llm_model')}
          aria-describedby=${described('llm_model')}
        />
        ${fieldError('llm_model')}
      </div>
      <div class="field">
        <label for="llm_api_key">${text.apiKey}</label>
        <input
          id="llm_api_key"
          name="llm_api_key"
          type="password"
          autocomplete="off"
          placeholder=${settings.has_llm_api_key ? '••••••••' : ''}
          aria-invalid=${invalid('llm_api_key')}
          aria-describedby=${described('llm_api_key', 'key-state')}
        />
        <span class="hint" id="key-state" data-key-state=${settings.has_llm_api_key ? 'set' : 'unset'}>${settings.has_llm_api_key ? text.apiKeySet : text.apiKeyUnset}</span>
        ${fieldError('llm_api_key')}
        ${settings.has_llm_api_key ? html`<label class="check"><input type="checkbox" name="clear_key" />${text.clearKey}</label>` : nothing}
      </div>
      <div class="row">
        <label class="check"><input type="checkbox" name="confirmation_mode" ?checked=${settings.confirmation_mode} />${text.confirmationDefault}</label>
        <div class="field">
          <label for="max_iterations">${text.fields.max_iterations}</label>
          <input id="max_iterations" name="max_iterations" type="number" min="1" .value=${settings.max_iterations?.toString() ?? ''} aria-invalid=${errors.invalid('max_iterations')} />
          ${errors.field('max_iterations')}
        </div>
      </div>
      <div class="actions">
        <button type="submit" class="button primary">${text.save}</button>
        <button type="button" class="button" data-action="test-llm" ?disabled=${this.isTesting} @click=${this.#handleTest}>${this.isTesting ? text.testing : text.testConnection}</button>
      </div>
      <div aria-live="polite">
        ${test?.ok ? html`<p class="ok" data-test-result="ok">${text.testOk(test.latency_ms)}</p>` : nothing}
        ${testError && !(testField && ['llm_base_url', 'llm_model', 'llm_api_key'].includes(testField)) ? html`<p class="alert" data-test-result="error">${testError}</p>` : nothing}
      </div>
    </form>`;
  }

  #handlePreset = (event: Event) => {
    const preset = LLM_PRESETS.find((entry) => entry.id === (event.target as HTMLSelectElement).value);
    if (!preset) return;
    this.baseUrl = preset.baseUrl;
    if (preset.model && !this.model) this.model = preset.model;
    this.testResult = undefined;
  };

  #llmForm(): FormData | undefined {
    const form = this.renderRoot.querySelector<HTMLFormElement>('form[data-form="llm"]');
    return form ? new FormData(form) : undefined;
  }

  #handleTest = async () => {
    const form = this.#llmForm();
    const key = String(form?.get('llm_api_key') ?? '');
    this.isTesting = true;
    this.testResult = undefined;
    this.errors = FormErrors.none;
    try {
      this.testResult = await this.app.client.settings.llmTest({
        ...(this.model.trim() ? { llm_model: this.model.trim() } : {}),
        ...(this.baseUrl.trim() ? { llm_base_url: this.baseUrl.trim() } : {}),
        ...(key ? { llm_api_key: key } : {}),
      });
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, LLM_FIELDS);
    } finally {
      this.isTesting = false;
    }
  };

  #handleSaveLlm = async (event: SubmitEvent) => {
    event.preventDefault();
    // Read before any await: once dispatched, a shadow tree's event no longer names its target.
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    const key = String(form.get('llm_api_key') ?? '');
    const iterations = String(form.get('max_iterations') ?? '').trim();
    try {
      this.settings = await this.app.client.settings.update({
        llm_model: this.model.trim() || null,
        llm_base_url: this.baseUrl.trim() || null,
        ...(key ? { llm_api_key: key } : form.get('clear_key') ? { llm_api_key: null } : {}),
        confirmation_mode: form.get('confirmation_mode') !== null,
        max_iterations: iterations ? Number(iterations) : null,
      });
      this.errors = FormErrors.none;
      this.notice = this.app.text.saved;
      formElement.querySelector<HTMLInputElement>('#llm_api_key')!.value = '';
    } catch (error) {
      this.notice = '';
      this.errors = FormErrors.from(error, this.app.catalog, LLM_FIELDS);
    }
  };

  // --- secrets

  #renderSecrets(): TemplateResult {
    const text = this.app.text;
    const errors = this.errors;
    return html`<section class="card">
        <p>${text.secretsIntro}</p>
        ${
          this.secrets === undefined
            ? html`<p>${text.loading}</p>`
            : this.secrets.length === 0
              ? html`<p class="empty">${text.noSecrets}</p>`
              : html`<ul class="list">
                ${this.secrets.map(
                  (secret) =>
                    html`<li data-secret=${secret.name}>
                      <code class="grow">${secret.name}</code>
                      <span class="hint">${secret.description ?? ''} ${formatDateTime(this.app.language, secret.updated_at)}</span>
                      ${
                        this.editingSecret === secret.id
                          ? html`<form class="actions" @submit=${(event: SubmitEvent) => this.#handleUpdateSecret(event, secret)}>
                            <label class="sr-only" for=${`value-${secret.id}`}>${text.newValue}</label>
                            <input id=${`value-${secret.id}`} name="value" type="password" autocomplete="off" placeholder=${text.newValue} />
                            <button type="submit" class="button small primary">${text.save}</button>
                          </form>`
                          : html`<button type="button" class="button small" data-action="replace" @click=${() => {
                              this.editingSecret = secret.id;
                            }}>
                            ${text.updateValue}<span class="sr-only"> ${secret.name}</span>
                          </button>`
                      }
                      <button type="button" class="button small danger" data-action="delete" @click=${() => this.#handleDeleteSecret(secret)}>
                        ${text.delete}<span class="sr-only"> ${secret.name}</span>
                      </button>
                    </li>`,
                )}
              </ul>`
        }
      </section>
      <form class="form card" @submit=${this.#handleCreateSecret} novalidate data-form="secret">
        <h2>${text.newSecretInline.replace('…', '')}</h2>
        ${errors.alert()}
        <div class="row">
          <div class="field">
            <label for="secret-name">${text.secretName}</label>
            <input id="secret-name" name="name" autocomplete="off" aria-invalid=${errors.invalid('name')} aria-describedby=${errors.describedBy('name')} />
            ${errors.field('name')}
          </div>
          <div class="field">
            <label for="secret-value">${text.secretValue}</label>
            <input id="secret-value" name="value" type="password" autocomplete="off" aria-invalid=${errors.invalid('value')} aria-describedby=${errors.describedBy('value')} />
            ${errors.field('value')}
          </div>
        </div>
        <div class="field">
          <label for="secret-description">${text.description} <span class="hint">(${text.optional})</span></label>
          <input id="secret-description" name="description" />
        </div>
        <div class="actions"><button type="submit" class="button primary">${text.create}</button></div>
      </form>`;
  }

  #handleCreateSecret = async (event: SubmitEvent) => {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    try {
      const secret = await this.app.client.secrets.create({
        name: String(form.get('name') ?? '').trim(),
        value: String(form.get('value') ?? ''),
        description: String(form.get('description') ?? '').trim() || null,
      });
      this.secrets = [secret, ...(this.secrets ?? [])];
      this.errors = FormErrors.none;
      formElement.reset();
      this.notice = this.app.text.saved;
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, ['name', 'value', 'description']);
    }
  };

  async #handleUpdateSecret(event: SubmitEvent, secret: Secret): Promise<void> {
    event.preventDefault();
    const value = String(new FormData(event.target as HTMLFormElement).get('value') ?? '');
    try {
      const updated = await this.app.client.secrets.update(secret.id, { value });
      this.secrets = this.secrets?.map((entry) => (entry.id === secret.id ? updated : entry));
      this.editingSecret = undefined;
      this.errors = FormErrors.none;
      this.notice = this.app.text.saved;
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  }

  async #handleDeleteSecret(secret: Secret): Promise<void> {
    if (!confirm(this.app.text.deleteConfirm(secret.name))) return;
    try {
      await this.app.client.secrets.delete(secret.id);
      this.secrets = this.secrets?.filter((entry) => entry.id !== secret.id);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  }

  // --- API keys

  #renderApiKeys(): TemplateResult {
    const text = this.app.text;
    const errors = this.errors;
    const agentName = (id: string) => this.agents.find((agent) => agent.id === id)?.name ?? id.slice(0, 8);
    return html`${
      this.createdKey
        ? html`<section class="card" data-created-key aria-labelledby="created-heading">
          <h2 id="created-heading">${text.keyCreated}</h2>
          <p>${text.keyShownOnce}</p>
          <div class="secret-once">
            <code class="grow" data-key>${this.createdKey}</code>
            <button type="button" class="button small" @click=${() => copyText(this.createdKey!).then((ok) => ok && this.app.announce(text.copied))}>${text.copy}</button>
          </div>
        </section>`
        : nothing
    }
      <section class="card">
        <p>${text.apiKeysIntro}</p>
        ${
          this.apiKeys === undefined
            ? html`<p>${text.loading}</p>`
            : this.apiKeys.length === 0
              ? html`<p class="empty">${text.noKeys}</p>`
              : html`<div class="table-wrap">
                <table class="stack">
                  <thead>
                    <tr>
                      <th scope="col">${text.name}</th>
                      <th scope="col">${text.prefix}</th>
                      <th scope="col">${text.scopes}</th>
                      <th scope="col">${text.nav.agents}</th>
                      <th scope="col">${text.lastUsed}</th>
                      <th scope="col"><span class="sr-only">${text.delete}</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    ${this.apiKeys.map(
                      (key) =>
                        html`<tr data-api-key=${key.name}>
                          <td>${key.name}</td>
                          <td data-label=${text.prefix}><code>${key.prefix}…</code></td>
                          <td data-label=${text.scopes}>${key.scopes.join(', ')}</td>
                          <td data-label=${text.nav.agents}>${key.agent_ids ? key.agent_ids.map(agentName).join(', ') : text.allAgentsKey}</td>
                          <td data-label=${text.lastUsed}>${key.last_used_at ? formatDateTime(this.app.language, key.last_used_at) : text.never}</td>
                          <td>
                            <button type="button" class="button small danger" @click=${() => this.#handleDeleteKey(key)}>
                              ${text.delete}<span class="sr-only"> ${key.name}</span>
                            </button>
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
        }
      </section>
      <form class="form card" @submit=${this.#handleCreateKey} novalidate data-form="api-key">
        ${errors.alert()}
        <div class="field">
          <label for="key-name">${text.name}</label>
          <input id="key-name" name="name" aria-invalid=${errors.invalid('name')} aria-describedby=${errors.describedBy('name')} />
          ${errors.field('name')}
        </div>
        <fieldset aria-describedby=${errors.describedBy('scopes')}>
          <legend>${text.scopes}</legend>
          ${API_KEY_SCOPES.map(
            (scope) =>
              html`<label class="check"><input type="checkbox" name="scopes" value=${scope} ?checked=${scope === 'read'} />${text.scopeNames[scope] ?? scope}</label>`,
          )}
          ${errors.field('scopes')}
        </fieldset>
        <fieldset>
          <legend>${text.restrictAgents} <span class="hint">(${text.optional})</span></legend>
          ${this.agents.length === 0 ? html`<span class="empty">${text.noAgents}</span>` : this.agents.map((agent) => html`<label class="check"><input type="checkbox" name="agent_ids" value=${agent.id} />${agent.name}</label>`)}
        </fieldset>
        <div class="field">
          <label for="key-expires">${text.expiresInDays} <span class="hint">(${text.optional})</span></label>
          <input id="key-expires" name="expires_in_days" type="number" min="1" aria-invalid=${errors.invalid('expires_in_days')} />
          ${errors.field('expires_in_days')}
        </div>
        <div class="actions"><button type="submit" class="button primary">${text.create}</button></div>
      </form>`;
  }

  #handleCreateKey = async (event: SubmitEvent) => {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    const agentIds = form.getAll('agent_ids').map(String);
    const days = String(form.get('expires_in_days') ?? '').trim();
    try {
      const created = await this.app.client.apiKeys.create({
        name: String(form.get('name') ?? ''),
        scopes: form.getAll('scopes').map(String) as ApiKeyScope[],
        agent_ids: agentIds.length > 0 ? agentIds : null,
        expires_in_days: days ? Number(days) : null,
      });
      const { key, ...listed } = created;
      this.createdKey = key;
      this.apiKeys = [listed, ...(this.apiKeys ?? [])];
      this.errors = FormErrors.none;
      formElement.reset();
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('#created-heading')?.scrollIntoView({ block: 'nearest' });
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, ['name', 'scopes', 'agent_ids', 'expires_in_days']);
    }
  };

  async #handleDeleteKey(key: ApiKey): Promise<void> {
    if (!confirm(this.app.text.deleteConfirm(key.name))) return;
    try {
      await this.app.client.apiKeys.delete(key.id);
      this.apiKeys = this.apiKeys?.filter((entry) => entry.id !== key.id);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  }

  // --- account

  #renderAccount(): TemplateResult {
    const text = this.app.text;
    const errors = this.errors;
    const user = this.app.user;
    return html`${user ? html`<p>${text.signedInAs(user.email)}</p>` : nothing}
      <form class="form card" @submit=${this.#handlePassword} novalidate data-form="password">
        <h2>${text.changePassword}</h2>
        ${errors.alert()}
        <div class="field">
          <label for="current_password">${text.currentPassword}</label>
          <input id="current_password" name="current_password" type="password" autocomplete="current-password" aria-invalid=${errors.invalid('current_password')} aria-describedby=${errors.describedBy('current_password')} />
          ${errors.field('current_password')}
        </div>
        <div class="field">
          <label for="new_password">${text.newPassword}</label>
          <input id="new_password" name="new_password" type="password" autocomplete="new-password" aria-invalid=${errors.invalid('new_password')} aria-describedby=${errors.describedBy('new_password', 'new-password-hint')} />
          <span class="hint" id="new-password-hint">${text.passwordHint}</span>
          ${errors.field('new_password')}
        </div>
        <div class="actions"><button type="submit" class="button primary">${text.changePassword}</button></div>
      </form>
      <section class="card" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">${text.sessions}</h2>
        ${
          this.sessions === undefined
            ? html`<p>${text.loading}</p>`
            : html`<ul class="list">
              ${this.sessions.map(
                (session) =>
                  html`<li data-session=${session.id}>
                    <span class="grow">${session.user_agent ?? '—'} ${session.ip ? html`<span class="hint">(${session.ip})</span>` : nothing}</span>
                    <span class="hint">${formatDateTime(this.app.language, session.created_at)}</span>
                    ${
                      session.current
                        ? html`<span class="badge">${text.sessionCurrent}</span>`
                        : html`<button type="button" class="button small" @click=${() => this.#handleEndSession(session)}>
                          ${text.endSession}<span class="sr-only"> ${session.user_agent ?? ''} ${formatDateTime(this.app.language, session.created_at)}</span>
                        </button>`
                    }
                  </li>`,
              )}
            </ul>
            <div class="actions">
              <button type="button" class="button" data-action="end-others" ?disabled=${this.sessions.length < 2} @click=${this.#handleEndOthers}>${text.endOthers}</button>
            </div>`
        }
      </section>
      <section class="card" aria-labelledby="delete-heading">
        <h2 id="delete-heading">${text.deleteAccount}</h2>
        <p>${text.deleteAccountText}</p>
        <form class="form" @submit=${this.#handleDeleteAccount} novalidate data-form="delete-account">
          <div class="field">
            <label for="delete-password">${text.confirmPassword}</label>
            <input id="delete-password" name="password" type="password" autocomplete="current-password" aria-invalid=${errors.invalid('password')} aria-describedby=${errors.describedBy('password')} />
            ${errors.field('password')}
          </div>
          <div class="actions"><button type="submit" class="button danger">${text.deleteAccount}</button></div>
        </form>
      </section>`;
  }

  #handlePassword = async (event: SubmitEvent) => {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    try {
      await this.app.client.auth.changePassword({
        current_password: String(form.get('current_password') ?? ''),
        new_password: String(form.get('new_password') ?? ''),
      });
      formElement.reset();
      this.errors = FormErrors.none;
      this.notice = this.app.text.passwordChanged;
      this.sessions = await this.app.client.auth.sessions.list();
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, ['current_password', 'new_password']);
    }
  };

  async #handleEndSession(session: Session): Promise<void> {
    try {
      await this.app.client.auth.sessions.delete(session.id);
      this.sessions = this.sessions?.filter((entry) => entry.id !== session.id);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  }

  #handleEndOthers = async () => {
    try {
      await this.app.client.auth.sessions.deleteOthers();
      this.sessions = this.sessions?.filter((entry) => entry.current);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  };

  #handleDeleteAccount = async (event: SubmitEvent) => {
    event.preventDefault();
    const password = String(new FormData(event.target as HTMLFormElement).get('password') ?? '');
    try {
      await this.app.client.auth.deleteAccount({ password });
      this.app.signedOut();
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, ['password']);
    }
  };
}

if (!customElements.get('metis-settings-page')) customElements.define('metis-settings-page', SettingsPage);

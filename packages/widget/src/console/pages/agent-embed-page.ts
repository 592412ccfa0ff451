import { css, html, nothing, type TemplateResult } from 'lit';
import type { Agent, AgentConfigInput, Conversation, PublishableKey } from '@metisai/sdk';
import { ALL_TOOLS, EmbedQuotasSchema, NETWORK_POLICIES } from '@metisai/sdk/schemas';
import packageJson from '../../../package.json' with { type: 'json' };
import { authStore } from '../app/auth-store.ts';
import { ConsolePage } from '../app/console-page.ts';
import { renderAgentPageLoading, renderAgentTabs } from '../parts/agent-tabs.ts';
import { embedSnippet } from '../parts/embed-snippet.ts';
import { FormErrors } from '../parts/form-errors.ts';
import { copyText, formatDateTime, formatNumber } from '../parts/format.ts';
import { consoleStyles } from '../styles/console.styles.ts';

/** The widget version this console was built with: the server serves the same build at `/widget/<version>/`. */
const WIDGET_VERSION: string = packageJson.version;
/** Visitor conversations shown (newest first); the conversations page lists them all, by visitor. */
const VISITOR_PAGE_SIZE = 20;
/** The quotas of `embed.policy.quotas`, in the SDK schema's order. */
const QUOTAS = Object.keys(EmbedQuotasSchema.shape) as (keyof typeof EmbedQuotasSchema.shape)[];
const POLICY = 'config.embed.policy';
/** The embed form's fields, as the API names them in error paths. */
const EMBED_FIELDS = [
  'config.embed.enabled',
  `${POLICY}.tools`,
  `${POLICY}.network`,
  `${POLICY}.secrets`,
  `${POLICY}.confirmation_timeout_seconds`,
  ...QUOTAS.map((quota) => `${POLICY}.quotas.${quota}`),
  'config.embed.retention_days',
];

/** A key's origins as a form holds them: one per line (blank lines dropped). */
const readOrigins = (value: FormDataEntryValue | null) =>
  String(value ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

/** The API's errors of `allowed_origins.<n>` are shown next to the one `allowed_origins` field. */
const originErrors = (error: unknown, catalog: Parameters<typeof FormErrors.from>[1]): FormErrors => {
  const failure = error as { code?: string; field?: string; message?: string; details?: { path: string; message: string }[] };
  const details = failure?.details?.map((detail) => ({ ...detail, path: detail.path.replace(/^allowed_origins\.\d+$/, 'allowed_origins') }));
  return FormErrors.from({ code: failure?.code, field: failure?.field, message: failure?.message, details }, catalog, ['allowed_origins']);
};

/**
 * `/agents/:id/embed`: embedding the agent in websites with `<metis-chat>`. Its publishable keys with their allowed
 * origins (create, edit the origins, rotate, revoke), embedding on or off with the embed policy and quotas
 * (`config.embed`, the API's field errors next to each field), the copy-ready snippet for a key, a live preview (a
 * `<metis-chat>` run with the owner's token, loaded when asked for), and the visitors' conversations of the agent.
 */
export class AgentEmbedPage extends ConsolePage {
  static override styles = [
    ...consoleStyles,
    css`
      .checks {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 16px;
      }
      .snippet {
        margin: 0 0 10px;
        padding: 10px 12px;
        border-radius: 8px;
        background: var(--_code-bg);
        font-family: var(--_mono);
        font-size: 13px;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .origins {
        margin: 0;
        padding: 0;
        list-style: none;
      }
      .key-value {
        overflow-wrap: anywhere;
      }
      textarea {
        min-height: 4.5em;
      }
      .preview metis-chat {
        display: block;
        height: 480px;
        border: 1px solid var(--_border);
        border-radius: 12px;
      }
      fieldset {
        min-width: 0;
      }
      form[data-form='new-key'] {
        margin-top: 20px;
      }
      .more {
        margin: 12px 0 0;
      }
      /* Embedding off: the snippet is there to read, not to copy yet. */
      .snippet[aria-disabled='true'] {
        opacity: 0.5;
        user-select: none;
      }
      .notice:empty {
        margin: 0;
      }
      .notice.ok {
        padding: 6px 10px;
      }
      .warning {
        padding: 10px 12px;
        border: 1px solid var(--_danger);
        border-left-width: 4px;
        border-radius: 8px;
        font-size: 14px;
      }
    `,
  ];

  static override properties = {
    ...ConsolePage.properties,
    agent: { state: true },
    keys: { state: true },
    visitorConversations: { state: true },
    loadError: { state: true },
    embedErrors: { state: true },
    keyErrors: { state: true },
    editErrors: { state: true },
    notice: { state: true },
    policyNotice: { state: true },
    sandboxDriver: { state: true },
    editing: { state: true },
    snippetKey: { state: true },
    pending: { state: true },
    isPreviewShown: { state: true },
    isBusy: { state: true },
    isCopied: { state: true },
  };
  declare agent: Agent | undefined;
  declare keys: PublishableKey[];
  declare visitorConversations: Conversation[] | undefined;
  declare loadError: FormErrors | undefined;
  declare embedErrors: FormErrors;
  declare keyErrors: FormErrors;
  declare editErrors: FormErrors;
  /** What the keys' last action did (rotated, revoked), shown beside the keys. */
  declare notice: string;
  /** "Saved." of the policy form, shown beside its button. */
  declare policyNotice: string;
  /** `server-info`'s `sandbox_driver` (`undefined` until known). */
  declare sandboxDriver: string | null | undefined;
  /** The key whose origins are being edited. */
  declare editing: string | undefined;
  /** The key the snippet shows (the newest when unset). */
  declare snippetKey: string | undefined;
  /** A rotation or revocation waiting for its confirmation. */
  declare pending: { action: 'rotate' | 'revoke'; key: PublishableKey } | undefined;
  declare isPreviewShown: boolean;
  declare isBusy: boolean;
  /** The snippet was just copied (the button says so for a moment). */
  declare isCopied: boolean;

  constructor() {
    super();
    this.keys = [];
    this.embedErrors = FormErrors.none;
    this.keyErrors = FormErrors.none;
    this.editErrors = FormErrors.none;
    this.notice = '';
    this.policyNotice = '';
    this.isPreviewShown = false;
    this.isBusy = false;
    this.isCopied = false;
  }

  get pageTitle(): string {
    return this.agent ? `${this.app.text.embed.embedTab} · ${this.agent.name}` : this.app.text.embed.embedTab;
  }

  protected override async load(): Promise<void> {
    const agentId = this.params.id!;
    this.loadError = undefined;
    this.notice = '';
    this.policyNotice = '';
    this.isPreviewShown = false;
    // The driver decides a warning only: the page shows without it.
    void this.app.client.serverInfo.get().then(
      (info) => {
        this.sandboxDriver = info.sandbox_driver;
      },
      () => {},
    );
    try {
      const [agent, keys, visitors] = await Promise.all([
        this.app.client.agents.get(agentId),
        this.app.client.agents.publishableKeys.list(agentId, { limit: 100 }),
        this.app.client.conversations.list({ agent_id: agentId, visitors: 'only', limit: VISITOR_PAGE_SIZE }),
      ]);
      this.agent = agent;
      this.keys = keys.data;
      this.visitorConversations = visitors.data;
      this.app.setTitle(this.pageTitle);
    } catch (error) {
      this.agent = undefined;
      this.loadError = FormErrors.from(error, this.app.catalog, []);
    }
  }

  override render(): TemplateResult {
    const text = this.app.text;
    const agent = this.agent;
    if (!agent) {
      return renderAgentPageLoading(text, text.embed.embedTab, this.loadError);
    }
    return html`<div class="root">
      <div class="page">
        <h1>${agent.name}</h1>
        ${renderAgentTabs(text, agent.id, 'embed')}
        <p class="hint">${text.embed.intro}</p>
        ${this.#renderKeys()} ${this.#renderSnippet(agent)} ${this.#renderPolicy(agent)} ${this.#renderPreview(agent)} ${this.#renderVisitors()}
        <dialog id="key-dialog" aria-labelledby="key-dialog-heading">
          <h2 id="key-dialog-heading">
            ${this.pending ? (this.pending.action === 'rotate' ? text.embed.rotateConfirm : text.embed.revokeConfirm) : ''}
          </h2>
          <p><code>${this.pending?.key.key ?? ''}</code></p>
          <div class="actions">
            <button type="button" class="button danger" data-action="confirm-key" @click=${this.#handleConfirmKey}>
              ${this.pending?.action === 'rotate' ? text.embed.rotate : text.embed.revoke}
            </button>
            <button type="button" class="button" @click=${() => this.#dialog?.close()}>${text.cancel}</button>
          </div>
        </dialog>
      </div>
    </div>`;
  }

  get #dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('#key-dialog');
  }

  // --- publishable keys

  #renderKeys(): TemplateResult {
    const text = this.app.text;
    const language = this.app.language;
    return html`<section class="card" aria-labelledby="keys-heading">
      <h2 id="keys-heading">${text.embed.keys}</h2>
      <p class="hint">${text.embed.keysIntro}</p>
      ${
        this.keys.length === 0
          ? html`<p class="empty" data-empty="keys">${text.embed.noKeys}</p>`
          : html`<div class="table-wrap">
            <table class="stack">
              <thead>
                <tr>
                  <th scope="col">${text.embed.key}</th>
                  <th scope="col">${text.embed.allowedOrigins}</th>
                  <th scope="col">${text.createdAt}</th>
                  <th scope="col"><span class="sr-only">${text.embed.actions}</span></th>
                </tr>
              </thead>
              <tbody>
                ${this.keys.map(
                  (key) =>
                    html`<tr data-key=${key.id}>
                      <td class="key-value"><code data-key-value>${key.key}</code></td>
                      <td data-label=${text.embed.allowedOrigins}>
                        ${
                          this.editing === key.id
                            ? html`<form class="form" novalidate data-form="edit-origins" @submit=${(event: SubmitEvent) => this.#handleEditOrigins(event, key)}>
                              ${this.editErrors.alert()}
                              <div class="field">
                                <label for="edit-origins">${text.embed.allowedOrigins}</label>
                                <textarea
                                  id="edit-origins"
                                  name="allowed_origins"
                                  class="input"
                                  .value=${key.allowed_origins.join('\n')}
                                  aria-invalid=${this.editErrors.invalid('allowed_origins')}
                                  aria-describedby=${this.editErrors.describedBy('allowed_origins', 'edit-origins-hint')}
                                ></textarea>
                                <span class="hint" id="edit-origins-hint">${text.embed.originsHint}</span>
                                ${this.editErrors.field('allowed_origins')}
                              </div>
                              <div class="actions">
                                <button type="submit" class="button primary small">${text.save}</button>
                                <button type="button" class="button small" @click=${() => {
                                  this.editing = undefined;
                                  this.editErrors = FormErrors.none;
                                }}>${text.cancel}</button>
                              </div>
                            </form>`
                            : html`<ul class="origins">
                              ${key.allowed_origins.map((origin) => html`<li><code>${origin}</code></li>`)}
                            </ul>`
                        }
                      </td>
                      <td data-label=${text.createdAt}>
                        ${formatDateTime(language, key.created_at)}
                        ${key.rotated_at ? html`<br /><span class="hint">${text.embed.rotatedAt(formatDateTime(language, key.rotated_at))}</span>` : nothing}
                      </td>
                      <td>
                        <div class="actions">
                          <button type="button" class="button small" data-action="edit-origins" @click=${() => {
                            this.editing = key.id;
                            this.editErrors = FormErrors.none;
                          }}>
                            ${text.embed.editOrigins}<span class="sr-only"> ${key.key}</span>
                          </button>
                          <button type="button" class="button small" data-action="rotate" @click=${() => this.#askKey('rotate', key)}>
                            ${text.embed.rotate}<span class="sr-only"> ${key.key}</span>
                          </button>
                          <button type="button" class="button small danger" data-action="revoke" @click=${() => this.#askKey('revoke', key)}>
                            ${text.embed.revoke}<span class="sr-only"> ${key.key}</span>
                          </button>
                        </div>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
      }
      <p class="notice ${this.notice ? 'ok' : ''}" role="status" aria-live="polite" data-notice="keys">${this.notice}</p>
      <form class="form" novalidate data-form="new-key" @submit=${this.#handleCreateKey}>
        <h3>${text.embed.newKey}</h3>
        ${this.keyErrors.alert()}
        <div class="field">
          <label for="new-key-origins">${text.embed.allowedOrigins}</label>
          <textarea
            id="new-key-origins"
            name="allowed_origins"
            class="input"
            placeholder="https://www.example.com"
            aria-invalid=${this.keyErrors.invalid('allowed_origins')}
            aria-describedby=${this.keyErrors.describedBy('allowed_origins', 'new-key-origins-hint')}
          ></textarea>
          <span class="hint" id="new-key-origins-hint">${text.embed.originsHint}</span>
          ${this.keyErrors.field('allowed_origins')}
        </div>
        <div class="actions"><button type="submit" class="button primary" data-action="create-key" ?disabled=${this.isBusy}>${text.embed.createKey}</button></div>
      </form>
    </section>`;
  }

  #handleCreateKey = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const origins = readOrigins(new FormData(form).get('allowed_origins'));
    this.isBusy = true;
    try {
      const key = await this.app.client.agents.publishableKeys.create(this.params.id!, { allowed_origins: origins });
      this.keys = [key, ...this.keys];
      this.snippetKey = key.id;
      this.keyErrors = FormErrors.none;
      form.reset();
      this.app.announce(this.app.text.embed.keyCreated);
    } catch (error) {
      this.keyErrors = originErrors(error, this.app.catalog);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('#new-key-origins')?.focus();
    } finally {
      this.isBusy = false;
    }
  };

  async #handleEditOrigins(event: SubmitEvent, key: PublishableKey): Promise<void> {
    event.preventDefault();
    const origins = readOrigins(new FormData(event.target as HTMLFormElement).get('allowed_origins'));
    try {
      const updated = await this.app.client.agents.publishableKeys.update(this.params.id!, key.id, { allowed_origins: origins });
      this.keys = this.keys.map((entry) => (entry.id === key.id ? updated : entry));
      this.editing = undefined;
      this.editErrors = FormErrors.none;
      this.app.announce(this.app.text.saved);
    } catch (error) {
      this.editErrors = originErrors(error, this.app.catalog);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('#edit-origins')?.focus();
    }
  }

  #askKey(action: 'rotate' | 'revoke', key: PublishableKey): void {
    this.pending = { action, key };
    this.#dialog?.showModal();
  }

  #handleConfirmKey = async () => {
    const pending = this.pending;
    this.#dialog?.close();
    if (!pending) return;
    const { action, key } = pending;
    try {
      if (action === 'rotate') {
        const rotated = await this.app.client.agents.publishableKeys.rotate(this.params.id!, key.id);
        this.keys = this.keys.map((entry) => (entry.id === key.id ? rotated : entry));
        this.notice = this.app.text.embed.rotated;
      } else {
        await this.app.client.agents.publishableKeys.delete(this.params.id!, key.id);
        this.keys = this.keys.filter((entry) => entry.id !== key.id);
        if (this.snippetKey === key.id) this.snippetKey = undefined;
        this.notice = this.app.text.embed.revoked;
      }
      this.keyErrors = FormErrors.none;
    } catch (error) {
      this.keyErrors = FormErrors.from(error, this.app.catalog, []);
    } finally {
      this.pending = undefined;
    }
  };

  // --- the snippet

  #renderSnippet(agent: Agent): TemplateResult {
    const text = this.app.text;
    const key = this.keys.find((entry) => entry.id === this.snippetKey) ?? this.keys[0];
    const isOff = !agent.config.embed?.enabled;
    return html`<section class="card" aria-labelledby="snippet-heading">
      <h2 id="snippet-heading">${text.embed.snippet}</h2>
      ${
        !key
          ? html`<p class="empty">${text.embed.snippetNeedsKey}</p>`
          : html`<p class="hint">${text.embed.snippetIntro}</p>
            ${isOff ? html`<p class="alert" id="snippet-off" data-embed-off>${text.embed.snippetDisabled}</p>` : nothing}
            ${
              this.keys.length > 1
                ? html`<div class="field">
                  <label for="snippet-key">${text.embed.snippetKey}</label>
                  <select id="snippet-key" @change=${(event: Event) => {
                    this.snippetKey = (event.target as HTMLSelectElement).value;
                  }}>
                    ${this.keys.map(
                      (entry) => html`<option value=${entry.id} ?selected=${entry.id === key.id}>${entry.key} (${entry.allowed_origins.join(', ')})</option>`,
                    )}
                  </select>
                </div>`
                : nothing
            }
            <pre
              class="snippet"
              data-snippet
              tabindex="0"
              aria-label=${text.embed.snippet}
              aria-disabled=${isOff ? 'true' : 'false'}
              aria-describedby=${isOff ? 'snippet-off' : nothing}
            >${embedSnippet({
              origin: this.app.origin,
              version: WIDGET_VERSION,
              agentId: agent.id,
              publishableKey: key.key,
            })}</pre>
            <div class="actions">
              <button type="button" class="button" data-action="copy-snippet" ?disabled=${isOff} @click=${this.#handleCopy}>
                ${this.isCopied ? text.copied : text.copy}
              </button>
            </div>`
      }
    </section>`;
  }

  #handleCopy = async () => {
    const snippet = this.renderRoot.querySelector('[data-snippet]')?.textContent ?? '';
    if (!(await copyText(snippet))) {
      // No clipboard (plain HTTP on a LAN address): the snippet is selected for a manual copy.
      const range = document.createRange();
      range.selectNodeContents(this.renderRoot.querySelector('[data-snippet]')!);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      return;
    }
    this.isCopied = true;
    this.app.announce(this.app.text.copied);
    setTimeout(() => {
      this.isCopied = false;
    }, 1500);
  };

  // --- embedding on or off, the policy and quotas

  #renderPolicy(agent: Agent): TemplateResult {
    const text = this.app.text;
    const errors = this.embedErrors;
    const embed = agent.config.embed ?? {};
    const policy = embed.policy ?? {};
    const tools = policy.tools ?? [...ALL_TOOLS];
    const quotas = policy.quotas ?? {};
    const defaults = EmbedQuotasSchema.parse({});
    const number = (path: string, name: string, label: string, value: number | undefined, options: { min: number; hint?: string; placeholder?: string }) => {
      const id = `embed-${name}`;
      return html`<div class="field">
        <label for=${id}>${label}</label>
        <input
          id=${id}
          name=${name}
          type="number"
          inputmode="numeric"
          min=${options.min}
          step="1"
          placeholder=${options.placeholder ?? nothing}
          .value=${value === undefined ? '' : String(value)}
          aria-invalid=${errors.invalid(path)}
          aria-describedby=${errors.describedBy(path, options.hint ? `${id}-hint` : undefined)}
        />
        ${options.hint ? html`<span class="hint" id=${`${id}-hint`}>${options.hint}</span>` : nothing} ${errors.field(path)}
      </div>`;
    };
    return html`<section class="card" aria-labelledby="policy-heading">
      <h2 id="policy-heading">${text.embed.policy}</h2>
      <form class="form" novalidate data-form="embed" @submit=${this.#handleSavePolicy}>
        ${errors.alert()}
        <label class="check">
          <input type="checkbox" name="enabled" data-field="enabled" ?checked=${embed.enabled === true} />${text.embed.enabled}
        </label>
        ${errors.field('config.embed.enabled')}
        <p class="hint">${text.embed.enabledHint}</p>
        <fieldset>
          <legend>${text.embed.tools}</legend>
          <p class="hint">${text.embed.toolsHint}</p>
          <div class="checks">
            ${ALL_TOOLS.map(
              (tool) =>
                html`<label class="check"><input type="checkbox" name="tools" value=${tool} ?checked=${tools.includes(tool)} />${text.toolNames[tool] ?? tool}</label>`,
            )}
          </div>
          ${errors.field(`${POLICY}.tools`)}
        </fieldset>
        ${this.sandboxDriver === 'local' ? html`<p class="warning" id="local-driver-warning" data-local-driver>${text.embed.localDriver}</p>` : nothing}
        <div class="field">
            <label for="embed-network">${text.embed.network}</label>
            <select
              id="embed-network"
              name="network"
              aria-invalid=${errors.invalid(`${POLICY}.network`)}
              aria-describedby=${errors.describedBy(`${POLICY}.network`, this.sandboxDriver === 'local' ? 'local-driver-warning' : undefined)}
            >
              ${NETWORK_POLICIES.map((network) => html`<option value=${network} ?selected=${(policy.network ?? 'none') === network}>${text.networks[network]}</option>`)}
            </select>
            ${errors.field(`${POLICY}.network`)}
        </div>
        <div class="row">
          ${number(
            `${POLICY}.confirmation_timeout_seconds`,
            'confirmation_timeout_seconds',
            text.embed.confirmationTimeout,
            policy.confirmation_timeout_seconds,
            {
              min: 1,
              hint: text.embed.confirmationTimeoutHint,
            },
          )}
          ${number('config.embed.retention_days', 'retention_days', text.embed.retentionDays, embed.retention_days, { min: 1, hint: text.embed.retentionHint })}
        </div>
        <fieldset>
          <legend>${text.embed.secrets}</legend>
          <p class="hint">${text.embed.secretsHint}</p>
          <div class="checks">
            ${
              agent.config.secrets.length === 0
                ? html`<span class="empty">${text.embed.noAgentSecrets}</span>`
                : agent.config.secrets.map(
                    (secret) =>
                      html`<label class="check"
                        ><input type="checkbox" name="secrets" value=${secret} ?checked=${(policy.secrets ?? []).includes(secret)} /><code>${secret}</code></label
                      >`,
                  )
            }
          </div>
          ${errors.field(`${POLICY}.secrets`)}
        </fieldset>
        <fieldset>
          <legend>${text.embed.quotas}</legend>
          <p class="hint">${text.embed.quotasHint}</p>
          <div class="row">
            ${QUOTAS.map((quota) =>
              number(`${POLICY}.quotas.${quota}`, `quota-${quota}`, text.embed.quotaNames[quota], quotas[quota], {
                min: 0,
                placeholder: String(defaults[quota]),
              }),
            )}
          </div>
        </fieldset>
        <div class="actions">
          <button type="submit" class="button primary" data-action="save-embed" ?disabled=${this.isBusy}>${text.save}</button>
          <span class="notice ${this.policyNotice ? 'ok' : ''}" role="status" aria-live="polite" data-notice="policy">${this.policyNotice}</span>
        </div>
      </form>
    </section>`;
  }

  /** The embed config as the form holds it: empty numbers are left out (the server's defaults apply). */
  #readEmbed(form: HTMLFormElement): NonNullable<AgentConfigInput['embed']> {
    const data = new FormData(form);
    const num = (name: string) => {
      const value = String(data.get(name) ?? '').trim();
      return value === '' ? undefined : Number(value);
    };
    const quotas: Record<string, number> = {};
    for (const quota of QUOTAS) {
      const value = num(`quota-${quota}`);
      if (value !== undefined) quotas[quota] = value;
    }
    const policy: Record<string, unknown> = {
      tools: data.getAll('tools').map(String),
      network: String(data.get('network') ?? 'none'),
      secrets: data.getAll('secrets').map(String),
      confirmation_timeout_seconds: num('confirmation_timeout_seconds'),
      quotas,
    };
    if (policy.confirmation_timeout_seconds === undefined) delete policy.confirmation_timeout_seconds;
    const embed: Record<string, unknown> = { enabled: data.get('enabled') !== null, policy };
    const retention = num('retention_days');
    if (retention !== undefined) embed.retention_days = retention;
    return embed as NonNullable<AgentConfigInput['embed']>;
  }

  #handleSavePolicy = async (event: SubmitEvent) => {
    event.preventDefault();
    const agent = this.agent;
    if (!agent) return;
    this.isBusy = true;
    this.policyNotice = '';
    try {
      // `PUT /agents/{id}` replaces the whole config: the rest of it is sent as it is.
      const config = { ...(agent.config as AgentConfigInput), embed: this.#readEmbed(event.target as HTMLFormElement) };
      this.agent = await this.app.client.agents.update(agent.id, { config });
      this.embedErrors = FormErrors.none;
      this.policyNotice = this.app.text.saved;
    } catch (error) {
      this.embedErrors = FormErrors.from(error, this.app.catalog, EMBED_FIELDS);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('form[data-form="embed"] [aria-invalid="true"]')?.focus();
    } finally {
      this.isBusy = false;
    }
  };

  // --- the live preview

  #renderPreview(agent: Agent): TemplateResult {
    const text = this.app.text;
    return html`<section class="card preview" aria-labelledby="preview-heading">
      <h2 id="preview-heading">${text.embed.preview}</h2>
      <p class="hint">${text.embed.previewIntro}</p>
      ${
        agent.status !== 'running'
          ? html`<p class="empty" data-preview-offline>${text.embed.previewNeedsRunning}</p>`
          : this.isPreviewShown
            ? html`<metis-chat
              data-preview
              mode="inline"
              server=${this.app.origin}
              agent=${agent.id}
              .token=${authStore.token}
              theme=${this.theme}
              locale=${this.app.language}
            ></metis-chat>`
            : html`<button type="button" class="button" data-action="show-preview" @click=${this.#handleShowPreview}>${text.embed.showPreview}</button>`
      }
    </section>`;
  }

  #handleShowPreview = async () => {
    // The element's module is loaded on first use: the page itself stays light.
    await import('../../index.ts');
    this.isPreviewShown = true;
  };

  // --- the visitors' conversations

  #renderVisitors(): TemplateResult {
    const text = this.app.text;
    const language = this.app.language;
    const conversations = this.visitorConversations;
    const agentId = this.params.id!;
    return html`<section class="card" aria-labelledby="visitors-heading">
      <h2 id="visitors-heading">${text.embed.visitorConversations}</h2>
      ${
        conversations === undefined
          ? html`<p>${text.loading}</p>`
          : conversations.length === 0
            ? html`<p class="empty" data-empty="visitors">${text.embed.noVisitorConversations}</p>`
            : html`<div class="table-wrap">
              <table class="stack">
                <thead>
                  <tr>
                    <th scope="col">${text.title}</th>
                    <th scope="col">${text.embed.visitor}</th>
                    <th scope="col">${text.status}</th>
                    <th scope="col">${text.usage}</th>
                    <th scope="col">${text.updated}</th>
                  </tr>
                </thead>
                <tbody>
                  ${conversations.map(
                    (conversation) =>
                      html`<tr data-visitor-conversation=${conversation.id}>
                        <td><a href=${`/conversations/${conversation.id}`}>${conversation.title || text.untitled}</a></td>
                        <td data-label=${text.embed.visitor}>
                          <a
                            href=${`/conversations?agent=${agentId}&visitor=${conversation.visitor_id}`}
                            data-visitor=${conversation.visitor_id ?? ''}
                            aria-label=${text.embed.visitorFilter(conversation.visitor_id ?? '')}
                            ><code>${(conversation.visitor_id ?? '').slice(0, 8)}</code></a
                          >
                        </td>
                        <td data-label=${text.status}><span class="badge" data-state=${conversation.state}>${text.states[conversation.state] ?? conversation.state}</span></td>
                        <td data-label=${text.usage}>${formatNumber(language, conversation.usage.total_tokens)}</td>
                        <td data-label=${text.updated}>${formatDateTime(language, conversation.updated_at)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <p class="more"><a href=${`/conversations?agent=${agentId}&visitors=only`} data-action="all-visitor-conversations">${text.embed.allVisitorConversations}</a></p>`
      }
    </section>`;
  }
}

if (!customElements.get('metis-agent-embed-page')) customElements.define('metis-agent-embed-page', AgentEmbedPage);

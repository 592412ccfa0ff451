import { css, html, type TemplateResult } from 'lit';
import { MIN_PASSWORD_LENGTH } from '@metisai/sdk/schemas';
import { ConsolePage } from '../app/console-page.ts';
import { FormErrors } from '../parts/form-errors.ts';
import { consoleStyles } from '../styles/console.styles.ts';

/** `/login` and `/register`: sign in, or create an account; then back to `?next=` (or the dashboard). */
export class LoginPage extends ConsolePage {
  static override styles = [
    ...consoleStyles,
    css`
      .auth {
        max-width: 420px;
        margin: 8vh auto 0;
        padding: 0 16px 40px;
      }
      .card {
        padding: 24px;
      }
      .brand {
        margin: 0 0 6px;
        color: var(--_muted);
        font-weight: var(--_bold, 700);
      }
      form.form {
        max-width: none;
      }
    `,
  ];

  static override properties = { ...ConsolePage.properties, errors: { state: true }, isBusy: { state: true }, isRegistrationOpen: { state: true } };
  declare errors: FormErrors;
  declare isBusy: boolean;
  /** From `GET /server-info` (no credentials): register is offered only when the server takes registrations. */
  declare isRegistrationOpen: boolean;

  constructor() {
    super();
    this.errors = FormErrors.none;
    this.isBusy = false;
    this.isRegistrationOpen = true;
  }

  get #isRegister(): boolean {
    return this.params.page === 'register';
  }

  get pageTitle(): string {
    return this.#isRegister ? this.app.text.titles.register : this.app.text.titles.login;
  }

  protected override async load(): Promise<void> {
    this.errors = FormErrors.none;
    try {
      this.isRegistrationOpen = (await this.app.client.serverInfo.get()).registration_open;
    } catch {
      // An older server, or unreachable: offer it; the server answers registration_closed if it is.
    }
  }

  get #next(): string {
    return new URLSearchParams(this.params.search ?? '').get('next') ?? '/';
  }

  override render(): TemplateResult {
    const text = this.app.text;
    const errors = this.errors;
    const isRegister = this.#isRegister;
    const nextQuery = this.#next === '/' ? '' : `?next=${encodeURIComponent(this.#next)}`;
    return html`<div class="root">
      <div class="auth">
        <div class="card">
          <p class="brand">${text.appName}</p>
          <h1>${this.pageTitle}</h1>
          ${isRegister && !this.isRegistrationOpen ? html`<p class="alert" data-registration-closed>${text.registrationClosed}</p>` : ''}
          <form class="form" @submit=${this.#handleSubmit} novalidate ?hidden=${isRegister && !this.isRegistrationOpen}>
            ${errors.alert()}
            ${
              isRegister
                ? html`<div class="field">
                  <label for="name">${text.name} <span class="hint">(${text.optional})</span></label>
                  <input id="name" name="name" autocomplete="name" aria-invalid=${errors.invalid('name')} aria-describedby=${errors.describedBy('name')} />
                  ${errors.field('name')}
                </div>`
                : ''
            }
            <div class="field">
              <label for="email">${text.email}</label>
              <input
                id="email"
                name="email"
                type="email"
                autocomplete=${isRegister ? 'email' : 'username'}
                required
                aria-invalid=${errors.invalid('email')}
                aria-describedby=${errors.describedBy('email')}
              />
              ${errors.field('email')}
            </div>
            <div class="field">
              <label for="password">${text.password}</label>
              <input
                id="password"
                name="password"
                type="password"
                autocomplete=${isRegister ? 'new-password' : 'current-password'}
                required
                minlength=${isRegister ? MIN_PASSWORD_LENGTH : 1}
                aria-invalid=${errors.invalid('password')}
                aria-describedby=${errors.describedBy('password', isRegister ? 'password-hint' : undefined)}
              />
              ${isRegister ? html`<span class="hint" id="password-hint">${text.passwordHint}</span>` : ''} ${errors.field('password')}
            </div>
            <button type="submit" class="button primary" ?disabled=${this.isBusy}>${isRegister ? text.register : text.signIn}</button>
            <p class="hint">${text.tabNote}</p>
            ${
              isRegister || this.isRegistrationOpen
                ? html`<p>
                  ${isRegister ? text.haveAccount : text.noAccount}
                  <a href=${`${isRegister ? '/login' : '/register'}${nextQuery}`}>${isRegister ? text.signIn : text.register}</a>
                </p>`
                : ''
            }
          </form>
        </div>
      </div>
    </div>`;
  }

  #handleSubmit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    this.isBusy = true;
    this.errors = FormErrors.none;
    try {
      const token = this.#isRegister
        ? await this.app.client.auth.register({ email, password, name: String(form.get('name') ?? '').trim() || null })
        : await this.app.client.auth.login({ email, password });
      await this.app.signedIn(token.access_token, this.#next);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, ['email', 'password', 'name']);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"], .alert')?.focus?.();
    } finally {
      this.isBusy = false;
    }
  };
}

if (!customElements.get('metis-login-page')) customElements.define('metis-login-page', LoginPage);

import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import { AuthenticationError, MetisClient, type User } from '@metisai/sdk';
import { CATALOGS, resolveLanguage, type Language } from '../../shared/i18n/messages.ts';
import { CONSOLE_CATALOGS } from '../i18n/console-messages.ts';
import { consoleStyles } from '../styles/console.styles.ts';
import { authStore, tokenExpiryMs } from './auth-store.ts';
import type { ConsoleApp } from './console-app.ts';
import type { ConsolePage } from './console-page.ts';
import { matchRoute, PAGES, type RouteMatch } from './routes.ts';

/** The expiry warning shows this long before the token ends. */
const EXPIRY_WARNING_MS = 5 * 60_000;
/** While the server is unreachable, `/healthz` is polled this often. */
const HEALTH_POLL_MS = 3_000;
const LANGUAGE_KEY = 'metis-console:language';
const THEME_KEY = 'metis-console:theme';

type ThemeChoice = 'auto' | 'light' | 'dark';

const local = (): Storage | undefined => {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
};

/**
 * `<metis-console>`: the web console's shell. It routes (history API, one lazily loaded module per page), keeps the
 * token (this tab's `sessionStorage`), sends a signed-out visitor or any 401 to sign in and back, warns before the
 * token ends, shows a banner while the server is unreachable, and holds the language (follows the browser,
 * switchable) and the theme (system, light, dark). Each route sets the page title and moves focus to its heading.
 */
export class MetisConsole extends LitElement implements ConsoleApp {
  static override styles = [
    ...consoleStyles,
    css`
      :host {
        display: block;
        min-height: 100vh;
      }
      .root {
        display: flex;
        flex-direction: column;
        min-height: 100vh;
      }
      /*
       * Chinese fonts here have one weight (WenQuanYi Zen Hei is a medium, 500): Chromium draws a bold only for a
       * weight over the face's by more than 200, so 600 and 700 come out regular. The pages' bold text takes these.
       */
      .root:lang(zh) {
        --_semibold: 800;
        --_bold: 800;
      }
      .skip {
        position: absolute;
        left: 8px;
        top: -48px;
        z-index: 10;
        padding: 8px 12px;
        border: 0;
        border-radius: 8px;
        background: var(--_accent);
        color: var(--_accent-fg);
      }
      .skip:focus {
        top: 8px;
      }
      header.bar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px 16px;
        padding: 8px 20px;
        border-bottom: 1px solid var(--_border);
        background: var(--_bg);
      }
      .brand {
        color: var(--_fg);
        font-size: 17px;
        font-weight: var(--_bold, 700);
        text-decoration: none;
      }
      /* The navigation, preferences and sign-out; behind the menu button on a phone. */
      .menu {
        display: flex;
        flex: 1;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px 16px;
        min-width: 0;
      }
      .bar .menu-button {
        display: none;
      }
      nav ul {
        display: flex;
        flex-wrap: wrap;
        gap: 2px;
        margin: 0;
        padding: 0;
        list-style: none;
      }
      nav a {
        display: block;
        padding: 6px 10px;
        border-radius: 8px;
        color: var(--_muted);
        font-weight: var(--_semibold, 600);
        text-decoration: none;
      }
      nav a[aria-current='page'] {
        background: var(--_surface);
        color: var(--_fg);
      }
      .spacer {
        flex: 1;
      }
      .prefs {
        display: flex;
        gap: 8px;
        align-items: center;
      }
      .prefs select {
        width: auto;
        min-height: 32px;
        padding: 2px 6px;
        font-size: 13px;
      }
      .banner {
        padding: 8px 20px;
        border-bottom: 1px solid var(--_danger);
        background: var(--_del-bg);
        color: var(--_del);
        font-size: 14px;
        font-weight: var(--_semibold, 600);
      }
      main {
        flex: 1;
        min-height: 0;
      }
      .public-prefs {
        display: flex;
        justify-content: flex-end;
        padding: 8px 16px 0;
      }
      @media (max-width: 639.98px) {
        header.bar {
          padding: 8px 12px;
        }
        /* One row (the name and the menu button); the menu opens below it. */
        .bar .menu-button {
          display: inline-flex;
          margin-left: auto;
        }
        .menu {
          display: none;
          flex-basis: 100%;
          padding-bottom: 4px;
        }
        .menu[data-open] {
          display: flex;
        }
        nav {
          width: 100%;
        }
        .spacer {
          display: none;
        }
      }
    `,
  ];

  static override properties = {
    route: { state: true },
    page: { state: true },
    user: { state: true },
    language: { state: true },
    themeChoice: { state: true },
    resolvedTheme: { state: true },
    isUnreachable: { state: true },
    expiryWarning: { state: true },
    announcement: { state: true },
    isMenuOpen: { state: true },
  };

  declare route: RouteMatch;
  declare page: ConsolePage | undefined;
  declare user: User | undefined;
  declare language: Language;
  declare themeChoice: ThemeChoice;
  declare resolvedTheme: 'light' | 'dark';
  declare isUnreachable: boolean;
  declare expiryWarning: string;
  declare announcement: string;
  /** The header's menu is open (a phone's: elsewhere the navigation is always shown). */
  declare isMenuOpen: boolean;

  readonly client: MetisClient;
  readonly origin = location.origin;
  #navigation = 0;
  #expiryTimers: ReturnType<typeof setTimeout>[] = [];
  #healthTimer: ReturnType<typeof setTimeout> | undefined;
  #darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

  constructor() {
    super();
    this.route = matchRoute(location.pathname);
    const saved = local()?.getItem(LANGUAGE_KEY);
    this.language = resolveLanguage(saved ?? 'auto');
    this.themeChoice = (local()?.getItem(THEME_KEY) as ThemeChoice | null) ?? 'auto';
    this.resolvedTheme = 'light';
    this.isUnreachable = false;
    this.expiryWarning = '';
    this.announcement = '';
    this.isMenuOpen = false;
    this.client = new MetisClient({
      baseUrl: location.origin,
      token: authStore.token,
      maxRetries: 1,
      fetch: (input, init) => this.#fetch(input, init),
    });
  }

  // --- ConsoleApp

  get text() {
    return CONSOLE_CATALOGS[this.language];
  }

  get catalog() {
    return CATALOGS[this.language];
  }

  navigate(path: string, options: { replace?: boolean } = {}): void {
    if (options.replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    void this.#show();
  }

  setTitle(title: string): void {
    document.title = `${title} · ${this.text.appName}`;
  }

  async signedIn(token: string, next?: string): Promise<void> {
    authStore.set(token);
    this.client.setToken(token);
    this.user = undefined;
    this.#scheduleExpiry(token);
    this.navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
  }

  signedOut(): void {
    authStore.clear();
    this.client.setToken(undefined);
    this.user = undefined;
    this.#clearExpiry();
    this.navigate('/login', { replace: true });
  }

  announce(text: string): void {
    this.announcement = '';
    requestAnimationFrame(() => {
      this.announcement = text;
    });
  }

  // --- lifecycle

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.#handlePopState);
    document.addEventListener('click', this.#handleLinkClick);
    this.#darkQuery.addEventListener('change', this.#applyTheme);
    this.#applyTheme();
    document.documentElement.lang = this.language === 'zh' ? 'zh-CN' : 'en';
    const token = authStore.token;
    if (token) this.#scheduleExpiry(token);
    void this.#show();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.#handlePopState);
    document.removeEventListener('click', this.#handleLinkClick);
    this.#darkQuery.removeEventListener('change', this.#applyTheme);
    this.#clearExpiry();
    clearTimeout(this.#healthTimer);
  }

  // --- render

  override render(): TemplateResult {
    const text = this.text;
    const isPublic = this.route.isPublic;
    // A button, not a link: its target is in this shadow root, where a `#main` link cannot point.
    const skip = html`<button type="button" class="skip" @click=${this.#handleSkip}>${text.skipToContent}</button>`;
    return html`<div class="root" lang=${this.language === 'zh' ? 'zh-CN' : 'en'}>
      ${isPublic && !this.user ? html`<header class="public-prefs">${skip}${this.#renderPrefs()}</header>` : this.#renderBar(skip)}
      <main id="main" tabindex="-1">
        ${this.isUnreachable ? html`<div class="banner" role="alert">${text.serverUnreachable}</div>` : nothing}
        ${this.expiryWarning ? html`<div class="banner" role="alert">${this.expiryWarning}</div>` : nothing}
        ${this.page ?? html`<p class="page">${text.loading}</p>`}
        <div class="sr-only" role="status" aria-live="polite">${this.announcement}</div>
      </main>
    </div>`;
  }

  #renderBar(skip: TemplateResult): TemplateResult {
    const text = this.text;
    const path = location.pathname;
    const link = (href: string, label: string) => {
      const isCurrent = href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
      return html`<li><a href=${href} aria-current=${isCurrent ? 'page' : 'false'}>${label}</a></li>`;
    };
    return html`<header class="bar">
      ${skip}
      <a class="brand" href="/">${text.appName}</a>
      <button
        type="button"
        class="button small menu-button"
        data-action="menu"
        aria-expanded=${this.isMenuOpen ? 'true' : 'false'}
        aria-controls="menu"
        @click=${() => {
          this.isMenuOpen = !this.isMenuOpen;
        }}
      >
        ${text.menu}
      </button>
      <div class="menu" id="menu" ?data-open=${this.isMenuOpen}>
        <nav aria-label=${text.nav.main}>
          <ul>
            ${link('/', text.nav.dashboard)} ${link('/agents', text.nav.agents)} ${link('/conversations', text.nav.conversations)}
            ${link('/approvals', text.nav.approvals)} ${link('/settings', text.nav.settings)}
          </ul>
        </nav>
        <span class="spacer"></span>
        ${this.#renderPrefs()}
        <button type="button" class="button small" data-action="sign-out" @click=${this.#handleSignOut}>${text.signOut}</button>
      </div>
    </header>`;
  }

  #renderPrefs(): TemplateResult {
    const text = this.text;
    return html`<div class="prefs">
      <select aria-label=${text.language} .value=${this.language} @change=${this.#handleLanguage}>
        <option value="en" ?selected=${this.language === 'en'}>English</option>
        <option value="zh" ?selected=${this.language === 'zh'}>中文</option>
      </select>
      <select aria-label=${text.theme} .value=${this.themeChoice} @change=${this.#handleTheme}>
        ${(['auto', 'light', 'dark'] as const).map((theme) => html`<option value=${theme} ?selected=${this.themeChoice === theme}>${text.themes[theme]}</option>`)}
      </select>
    </div>`;
  }

  // --- routing

  async #show(): Promise<void> {
    const navigation = ++this.#navigation;
    const route = matchRoute(location.pathname);
    const token = authStore.token;
    if (!route.isPublic && !token) {
      const next = location.pathname + location.search;
      history.replaceState(null, '', `/login${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`);
      return this.#show();
    }
    if ((route.page === 'login' || route.page === 'register') && token) {
      history.replaceState(null, '', '/');
      return this.#show();
    }
    this.route = route;
    this.isMenuOpen = false;
    const entry = PAGES[route.page];
    try {
      await entry.load();
    } catch {
      // The page's module did not load: the server is unreachable. The banner says so; the page shows once it answers.
      if (navigation === this.#navigation) this.#setUnreachable(true);
      return;
    }
    try {
      // Signed in, a 404 keeps the shell (the header's navigation): it needs the profile too.
      if ((!route.isPublic || (route.page === 'not-found' && token)) && !this.user) this.user = await this.client.auth.profile();
    } catch (error) {
      if (navigation !== this.#navigation) return;
      if (error instanceof AuthenticationError) return; // #fetch sent us to sign in
      // Unreachable: the banner says so; the page shows what it can.
    }
    if (navigation !== this.#navigation) return;
    let page = this.page;
    if (!page || page.localName !== entry.tag) page = document.createElement(entry.tag) as ConsolePage;
    page.app = this;
    page.theme = this.resolvedTheme;
    page.params = { ...route.params, page: route.page, search: location.search };
    this.page = page;
    await this.updateComplete;
    await page.updateComplete;
    if (navigation !== this.#navigation) return;
    this.setTitle(page.pageTitle);
    page.focusHeading();
  }

  #handlePopState = () => void this.#show();

  /** Same-origin links to console routes navigate without a reload (composed path: links inside shadow roots too). */
  #handleLinkClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = event.composedPath().find((target): target is HTMLAnchorElement => target instanceof HTMLAnchorElement);
    if (!anchor || anchor.target || anchor.hasAttribute('download') || anchor.origin !== location.origin) return;
    if (anchor.pathname.startsWith('/api/') || anchor.pathname.startsWith('/widget/') || anchor.getAttribute('href')?.startsWith('#')) return;
    event.preventDefault();
    if (anchor.pathname + anchor.search !== location.pathname + location.search) this.navigate(anchor.pathname + anchor.search);
  };

  #handleSkip = () => {
    this.page?.focusHeading();
  };

  // --- preferences

  #handleLanguage = (event: Event) => {
    this.language = (event.target as HTMLSelectElement).value as Language;
    local()?.setItem(LANGUAGE_KEY, this.language);
    document.documentElement.lang = this.language === 'zh' ? 'zh-CN' : 'en';
    if (this.page) {
      this.page.requestUpdate();
      void this.page.updateComplete.then(() => this.setTitle(this.page!.pageTitle));
    }
  };

  #handleTheme = (event: Event) => {
    this.themeChoice = (event.target as HTMLSelectElement).value as ThemeChoice;
    local()?.setItem(THEME_KEY, this.themeChoice);
    this.#applyTheme();
  };

  #applyTheme = () => {
    document.documentElement.dataset.theme = this.themeChoice;
    this.resolvedTheme = this.themeChoice === 'auto' ? (this.#darkQuery.matches ? 'dark' : 'light') : this.themeChoice;
    this.setAttribute('theme', this.resolvedTheme);
    if (this.page) this.page.theme = this.resolvedTheme;
  };

  // --- session

  #handleSignOut = async () => {
    try {
      await this.client.auth.logout();
    } catch {
      // Already ended: forgetting it is all that is left.
    }
    this.signedOut();
  };

  #scheduleExpiry(token: string): void {
    this.#clearExpiry();
    const expiresAt = tokenExpiryMs(token);
    if (expiresAt === undefined) return;
    const now = Date.now();
    const warnIn = expiresAt - EXPIRY_WARNING_MS - now;
    const warn = () => {
      this.expiryWarning = this.text.sessionExpiring(Math.max(1, Math.round((expiresAt - Date.now()) / 60_000)));
    };
    if (warnIn <= 0) warn();
    else this.#expiryTimers.push(setTimeout(warn, Math.min(warnIn, 2 ** 31 - 1)));
    this.#expiryTimers.push(
      setTimeout(
        () => {
          this.expiryWarning = '';
          this.#toSignIn();
        },
        Math.min(Math.max(0, expiresAt - now), 2 ** 31 - 1),
      ),
    );
  }

  #clearExpiry(): void {
    for (const timer of this.#expiryTimers.splice(0)) clearTimeout(timer);
    this.expiryWarning = '';
  }

  /** The token no longer works: sign in, then come back here. */
  #toSignIn(): void {
    if (this.route.isPublic) return;
    authStore.clear();
    this.client.setToken(undefined);
    this.user = undefined;
    this.#clearExpiry();
    const next = location.pathname + location.search;
    this.navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
  }

  /** Every API request: a 401 (but a failed sign-in) leads to sign-in; a network failure shows the banner. */
  async #fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (error) {
      if (!init?.signal?.aborted) this.#setUnreachable(true);
      throw error;
    }
    this.#setUnreachable(false);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (response.status === 401 && !/\/auth\/(login|register)$/.test(new URL(url).pathname) && authStore.token) this.#toSignIn();
    return response;
  }

  #setUnreachable(isUnreachable: boolean): void {
    if (this.isUnreachable === isUnreachable) return;
    this.isUnreachable = isUnreachable;
    clearTimeout(this.#healthTimer);
    if (isUnreachable) this.#pollHealth();
  }

  #pollHealth(): void {
    this.#healthTimer = setTimeout(async () => {
      try {
        const response = await fetch('/healthz', { cache: 'no-store' });
        if (response.ok) {
          this.isUnreachable = false;
          void this.#show();
          return;
        }
      } catch {
        // still down
      }
      this.#pollHealth();
    }, HEALTH_POLL_MS);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'metis-console': MetisConsole;
  }
}

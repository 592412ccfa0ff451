import { html, LitElement, nothing, svg, type PropertyValues, type TemplateResult } from 'lit';
import type { TokenProvider } from '@metisai/sdk/lean';
import { ChatSession } from '../shared/chat/chat-session.ts';
import { CATALOGS, errorText, resolveLanguage, type Catalog, type Language } from '../shared/i18n/messages.ts';
import type { MarkdownContext } from '../shared/markdown/render-markdown.ts';
import { MetisConversationChangeEvent, MetisErrorEvent, MetisMessageEvent, MetisReadyEvent, MetisRunEndEvent, MetisRunStartEvent } from './events.ts';
import type { ItemContext } from '../shared/message-list/item-context.ts';
import { renderMessageList } from '../shared/message-list/message-list.ts';
import { renderApproval, renderComposer, renderNotice, renderRunStatus } from '../shared/composer/composer.ts';
import { styleProperties } from '../shared/style-properties.ts';
import { styles } from './metis-chat.styles.ts';

/** Below this width (px) the launcher's panel takes the whole screen, following `visualViewport`. */
const SMALL_SCREEN_PX = 640;
/** The reader counts as at the bottom within this distance (px). */
const BOTTOM_SLACK_PX = 32;

/** `suggestions="[…]"`: a JSON array of strings; anything else is ignored with a warning. */
const suggestionsConverter = {
  fromAttribute(value: string | null): string[] {
    if (!value) return [];
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
    } catch {
      // reported below
    }
    console.warn('<metis-chat>: `suggestions` must be a JSON array of strings');
    return [];
  },
};

const icon = (path: string) =>
  html`<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">${svg`<path fill="currentColor" d=${path}></path>`}</svg>`;
const ICON_CHAT = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z';
const ICON_CLOSE = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z';
const ICON_LIST = 'M4 6h16v2H4zm0 5h16v2H4zm0 5h16v2H4z';
const ICON_NEW = 'M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z';

/**
 * `<metis-chat>`: one MetisAI agent in any page. It streams the agent's answers (markdown, rendered without HTML
 * parsing), shows its tool steps with live output and diffs, and resumes its stream after a reload, a network drop
 * or the page returning from the background.
 *
 * Owner mode: `token` (a session JWT) or `tokenProvider`: the user's own conversations; the owner approves steps.
 * Visitor mode: `publishable-key` (and `agent`): an anonymous visitor of the page, in a session the server mints for
 * the page's origin; the visitor is kept in `localStorage`, and sees "waiting for the owner's approval" instead.
 *
 * @attr server - the MetisAI server's root URL (required)
 * @attr agent - the agent's id
 * @attr conversation - a conversation to open (else the last one, kept in `localStorage`)
 * @attr publishable-key - visitor mode: the agent's publishable key (`pk_…`) for this page's origin
 * @attr token - a session token (never an API key)
 * @attr mode - `launcher` (default: a button opening a panel) or `inline`
 * @attr open - the launcher's panel is open
 * @attr theme - `auto` (default), `light` or `dark`
 * @attr locale - `auto` (default), `en` or `zh`
 * @attr placeholder - the composer's placeholder
 * @attr greeting - the first words shown in an empty chat
 * @attr suggestions - JSON array of prompts offered in an empty chat
 * @attr image-hosts - hosts (space or comma separated) whose images may load in answers
 *
 * @prop tokenProvider - a function answering a session token (called again before it expires and after a 401)
 *
 * @fires metis-ready - connected (`conversationId`)
 * @fires metis-error - something failed (`code`, `message`, `isFatal`)
 * @fires metis-message - a message was stored (`role`, `content`, `seq`)
 * @fires metis-run-start - the agent started working
 * @fires metis-run-end - the run ended (`state`, `reason`)
 * @fires metis-conversation-change - another conversation is shown (`conversationId`)
 *
 * @csspart launcher - the round button of launcher mode
 * @csspart badge - the unread count on the launcher
 * @csspart panel - the chat panel
 * @csspart header - the panel's top bar; `title` its title; `header-button` its buttons
 * @csspart log - the scrolling transcript (`role="log"`)
 * @csspart message - every message; `message-user` and `message-assistant` by author
 * @csspart reasoning - a reasoning model's reasoning (collapsed)
 * @csspart tool-step - a tool call (collapsible); `tool-output` its output; `diff` an edit's diff
 * @csspart code-block - a fenced code block; `copy-button` its copy button
 * @csspart run-error - an error of the run in the transcript
 * @csspart unknown-event - an event of a type this widget does not know
 * @csspart greeting - the greeting; `suggestions` and `suggestion` the offered prompts
 * @csspart status - the run-state line
 * @csspart error - an error message (`role="alert"`); `retry-button` its retry button
 * @csspart approval - the approve/reject prompt; `approve-button`, `reject-button`
 * @csspart composer - the input row; `input` the text field; `send-button`, `stop-button`
 * @csspart jump-button - "jump to latest"
 * @csspart load-earlier - the button loading older messages
 * @csspart conversation-list - the conversation list; `conversation` each entry
 *
 * @cssprop --metis-accent - buttons, links and the user's messages (default #2357d8)
 * @cssprop --metis-accent-fg - text on the accent colour (default #fff)
 * @cssprop --metis-bg - the panel's background
 * @cssprop --metis-fg - the text colour
 * @cssprop --metis-muted - secondary text
 * @cssprop --metis-border - borders and separators
 * @cssprop --metis-surface - assistant messages, tool steps and inputs
 * @cssprop --metis-code-bg - code blocks and terminal output
 * @cssprop --metis-danger - errors
 * @cssprop --metis-font-family - the font (default the system UI font)
 * @cssprop --metis-font-size - the text size (default 15px; the composer never goes below 16px)
 * @cssprop --metis-radius - corner radius (default 12px)
 * @cssprop --metis-panel-width - the launcher panel's width (default 400px)
 * @cssprop --metis-panel-height - the launcher panel's height (default 640px)
 * @cssprop --metis-inline-height - the inline chat's height (default 560px)
 * @cssprop --metis-z-index - the launcher's stacking order (default 2147483000)
 */
export class MetisChat extends LitElement {
  static override styles = styles;
  static override properties = {
    server: { type: String },
    agent: { type: String },
    conversation: { type: String },
    publishableKey: { type: String, attribute: 'publishable-key' },
    token: { type: String },
    tokenProvider: { attribute: false },
    mode: { type: String, reflect: true },
    isOpen: { type: Boolean, reflect: true, attribute: 'open' },
    theme: { type: String, reflect: true },
    locale: { type: String },
    placeholder: { type: String },
    greeting: { type: String },
    suggestions: { converter: suggestionsConverter },
    imageHosts: { type: String, attribute: 'image-hosts' },
    view: { state: true },
    draft: { state: true },
    unread: { state: true },
    isAtBottom: { state: true },
    announcement: { state: true },
    viewport: { state: true },
    isSmallScreen: { state: true },
  };

  declare server: string | undefined;
  declare agent: string | undefined;
  declare conversation: string | undefined;
  declare publishableKey: string | undefined;
  declare token: string | undefined;
  declare tokenProvider: TokenProvider | undefined;
  declare mode: 'launcher' | 'inline';
  /** The launcher's panel is open (attribute `open`); `open()` and `close()` change it. */
  declare isOpen: boolean;
  declare theme: 'auto' | 'light' | 'dark';
  declare locale: string;
  declare placeholder: string | undefined;
  declare greeting: string | undefined;
  declare suggestions: string[];
  declare imageHosts: string | undefined;
  declare protected view: 'chat' | 'conversations';
  declare protected draft: string;
  declare protected unread: number;
  declare protected isAtBottom: boolean;
  declare protected announcement: string;
  declare protected viewport: { top: number; height: number } | undefined;
  declare protected isSmallScreen: boolean;

  #session: ChatSession | undefined;
  #sessionVersion = -1;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #stickToBottom = true;
  #restoreAnchor: { fromBottom: number; firstSeq: number | undefined } | undefined;
  #focusAfterRender: 'input' | 'launcher' | 'approve' | undefined;
  #smallScreenQuery: MediaQueryList | undefined;
  readonly #listeners: Array<[EventTarget, string, EventListener]> = [];

  constructor() {
    super();
    this.mode = 'launcher';
    this.isOpen = false;
    this.theme = 'auto';
    this.locale = 'auto';
    this.suggestions = [];
    this.view = 'chat';
    this.draft = '';
    this.unread = 0;
    this.isAtBottom = true;
    this.announcement = '';
    this.isSmallScreen = false;
  }

  // --- public API

  /** Sends a message as if typed (opens the launcher's panel). Resolves true once the server stored it. */
  send(text: string): Promise<boolean> {
    if (this.mode === 'launcher') this.isOpen = true;
    return this.#session?.send(text) ?? Promise.resolve(false);
  }

  /** Stops the agent's run. */
  stop(): Promise<void> {
    return this.#session?.stop() ?? Promise.resolve();
  }

  /** Opens the launcher's panel and focuses the composer. */
  open(): void {
    this.isOpen = true;
    this.#focusAfterRender = 'input';
  }

  /** Closes the launcher's panel; focus returns to the launcher button. */
  close(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.#focusAfterRender = 'launcher';
  }

  /** Shows a conversation by id (`null`: a new chat). */
  setConversation(conversationId: string | null): Promise<void> {
    this.view = 'chat';
    return this.#session?.setConversation(conversationId) ?? Promise.resolve();
  }

  /** Focuses the composer (the launcher button while the panel is closed). */
  override focus(options?: FocusOptions): void {
    const target = this.mode === 'launcher' && !this.isOpen ? this.#launcher : this.#input;
    (target ?? this.renderRoot.querySelector<HTMLElement>('button'))?.focus(options);
  }

  // --- lifecycle

  override connectedCallback(): void {
    super.connectedCallback();
    const on = (target: EventTarget | undefined | null, type: string, listener: EventListener) => {
      if (!target) return;
      target.addEventListener(type, listener);
      this.#listeners.push([target, type, listener]);
    };
    on(window, 'online', () => this.#session?.setOnline(true));
    on(window, 'offline', () => this.#session?.setOnline(false));
    on(document, 'visibilitychange', () => this.#session?.setPageVisible(document.visibilityState === 'visible'));
    on(document, 'freeze', () => this.#session?.setFrozen(true));
    on(document, 'resume', () => this.#session?.resume());
    on(window, 'pageshow', (event) => {
      if ((event as PageTransitionEvent).persisted) this.#session?.resume();
    });
    on(window, 'pagehide', (event) => {
      // Into the back-forward cache: an open stream would keep the page out of it.
      if ((event as PageTransitionEvent).persisted) this.#session?.setFrozen(true);
    });
    this.#smallScreenQuery = window.matchMedia(`(max-width: ${SMALL_SCREEN_PX - 0.02}px)`);
    this.isSmallScreen = this.#smallScreenQuery.matches;
    on(this.#smallScreenQuery, 'change', () => {
      this.isSmallScreen = this.#smallScreenQuery!.matches;
      this.#syncViewport();
    });
    on(window.visualViewport, 'resize', () => this.#syncViewport());
    on(window.visualViewport, 'scroll', () => this.#syncViewport());
    this.#scheduleConnect();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const [target, type, listener] of this.#listeners.splice(0)) target.removeEventListener(type, listener);
    clearTimeout(this.#connectTimer);
    this.#session?.dispose();
    this.#session = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const settings = ['server', 'agent', 'conversation', 'publishableKey', 'token', 'tokenProvider'] as const;
    if (this.hasUpdated && settings.some((name) => changed.has(name))) this.#scheduleConnect();
    if (changed.has('isOpen') || changed.has('mode')) {
      const isOpen = this.#isPanelOpen;
      this.#session?.setPanelOpen(isOpen);
      if (isOpen) this.unread = 0;
      this.#syncViewport();
    }
    const log = this.#log;
    this.#stickToBottom = !log || log.scrollHeight - log.scrollTop - log.clientHeight <= BOTTOM_SLACK_PX;
  }

  protected override updated(): void {
    const log = this.#log;
    if (log) {
      const anchor = this.#restoreAnchor;
      if (anchor && anchor.firstSeq !== this.#session?.transcript.firstSeq) {
        log.scrollTop = log.scrollHeight - anchor.fromBottom;
        this.#restoreAnchor = undefined;
      } else if (this.#stickToBottom) {
        log.scrollTop = log.scrollHeight;
      }
    }
    const focus = this.#focusAfterRender;
    this.#focusAfterRender = undefined;
    if (focus === 'input') this.#input?.focus();
    else if (focus === 'launcher') this.#launcher?.focus();
    else if (focus === 'approve') this.renderRoot.querySelector<HTMLElement>('[part~="approve-button"]')?.focus();
  }

  // --- render

  override render(): TemplateResult {
    const catalog = this.#catalog;
    const isLauncher = this.mode === 'launcher';
    return html`<div class="root ${isLauncher ? 'launcher-mode' : 'inline-mode'}" lang=${this.#language}>
      ${isLauncher ? this.#renderLauncher(catalog) : nothing} ${this.#isPanelOpen ? this.#renderPanel(catalog) : nothing}
    </div>`;
  }

  #renderLauncher(catalog: Catalog): TemplateResult {
    return html`<button
      type="button"
      class="launcher"
      part="launcher"
      aria-expanded=${this.isOpen ? 'true' : 'false'}
      aria-controls="panel"
      aria-label=${this.isOpen ? catalog.closeChat : this.unread > 0 ? `${catalog.openChat} (${catalog.unread(this.unread)})` : catalog.openChat}
      @click=${this.#handleLauncherClick}
    >
      ${icon(this.isOpen ? ICON_CLOSE : ICON_CHAT)} ${this.unread > 0 && !this.isOpen ? html`<span class="badge" part="badge" aria-hidden="true">${this.unread}</span>` : nothing}
    </button>`;
  }

  #renderPanel(catalog: Catalog): TemplateResult {
    const session = this.#session;
    const title = session?.agent?.name ?? catalog.title;
    const isLauncher = this.mode === 'launcher';
    const viewport: Record<string, string> =
      isLauncher && this.isSmallScreen && this.viewport ? { top: `${this.viewport.top}px`, height: `${this.viewport.height}px` } : {};
    return html`<section
      id="panel"
      class="panel ${this.isSmallScreen && isLauncher ? 'fullscreen' : ''}"
      part="panel"
      role=${isLauncher ? 'dialog' : 'region'}
      aria-label=${title}
      ${styleProperties(viewport)}
      @keydown=${this.#handlePanelKeydown}
    >
      <header class="header" part="header">
        <h2 class="title" part="title">${title}</h2>
        ${
          session?.isReady && !session.fatalError
            ? html`<button
                type="button"
                class="icon-button"
                part="header-button"
                aria-label=${this.view === 'conversations' ? catalog.backToChat : catalog.conversations}
                aria-pressed=${this.view === 'conversations' ? 'true' : 'false'}
                @click=${this.#handleToggleConversations}
              >
                ${icon(ICON_LIST)}
              </button>
              <button type="button" class="icon-button" part="header-button" aria-label=${catalog.newChat} @click=${this.#handleNewChat}>${icon(ICON_NEW)}</button>`
            : nothing
        }
        ${
          isLauncher
            ? html`<button type="button" class="icon-button" part="header-button" aria-label=${catalog.closeChat} @click=${() => this.close()}>
              ${icon(ICON_CLOSE)}
            </button>`
            : nothing
        }
      </header>
      ${session?.fatalError ? this.#renderFatal(catalog) : this.view === 'conversations' ? this.#renderConversations(catalog) : this.#renderChat(catalog)}
    </section>`;
  }

  #renderFatal(catalog: Catalog): TemplateResult {
    const error = this.#session!.fatalError!;
    return html`<div class="fatal" part="error" role="alert" data-code=${error.code}>${errorText(catalog, error.code)}</div>`;
  }

  #renderConversations(catalog: Catalog): TemplateResult {
    const conversations = this.#session?.conversations;
    const dateFormat = new Intl.DateTimeFormat(this.#language, { dateStyle: 'medium', timeStyle: 'short' });
    return html`<div class="conversations" part="conversation-list">
      ${
        conversations === undefined
          ? html`<p class="muted">…</p>`
          : conversations.length === 0
            ? html`<p class="muted">${catalog.noConversations}</p>`
            : html`<ul>
              ${conversations.map(
                (conversation) =>
                  html`<li>
                    <button
                      type="button"
                      class="conversation"
                      part="conversation"
                      aria-current=${conversation.id === this.#session?.conversationId ? 'true' : 'false'}
                      @click=${() => this.setConversation(conversation.id)}
                    >
                      <span class="conversation-title">${conversation.title || catalog.untitled}</span>
                      <span class="muted">${dateFormat.format(new Date(conversation.updated_at))}</span>
                    </button>
                  </li>`,
              )}
            </ul>`
      }
    </div>`;
  }

  #renderChat(catalog: Catalog): TemplateResult {
    const session = this.#session;
    const transcript = session?.transcript;
    const items = transcript?.items ?? [];
    return html`${renderMessageList({
      items,
      context: this.#itemContext(catalog),
      label: catalog.title,
      isBusy: transcript?.activeItem?.kind === 'assistant',
      hasEarlier: session?.hasEarlier,
      isLoadingEarlier: session?.isLoadingEarlier,
      onLoadEarlier: this.#handleLoadEarlier,
      before: items.length === 0 && session?.isReady ? this.#renderGreeting(catalog) : nothing,
      isAwayFromBottom: !this.isAtBottom,
      onJump: this.#handleJump,
      onScroll: this.#handleScroll,
    })}
      <div class="sr-only" role="status">${this.announcement}</div>
      ${renderRunStatus(session, catalog)} ${renderNotice(session, catalog, this.#handleRetry)} ${renderApproval(session, catalog)}
      ${renderComposer({
        catalog,
        draft: this.draft,
        placeholder: this.placeholder ?? catalog.placeholder,
        isDisabled: !session?.isReady || session.isAgentOffline,
        isRunning: session?.isRunActive ?? false,
        onInput: (text) => {
          this.draft = text;
        },
        onSubmit: () => this.#submit(),
        onStop: this.#handleStop,
      })}`;
  }

  #renderGreeting(catalog: Catalog): TemplateResult | typeof nothing {
    const suggestions = this.suggestions ?? [];
    if (!this.greeting && suggestions.length === 0) return nothing;
    return html`<div class="greeting" part="greeting">
      ${this.greeting ? html`<div class="message assistant" part="message message-assistant">${this.greeting}</div>` : nothing}
      ${
        suggestions.length > 0
          ? html`<div class="suggestions" part="suggestions" role="group" aria-label=${catalog.suggestions}>
            ${suggestions.map((text) => html`<button type="button" class="suggestion" part="suggestion" @click=${() => this.send(text)}>${text}</button>`)}
          </div>`
          : nothing
      }
    </div>`;
  }

  // --- handlers

  #handleLauncherClick = () => {
    if (this.isOpen) this.close();
    else this.open();
  };

  #handlePanelKeydown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && this.mode === 'launcher' && !event.defaultPrevented) {
      event.preventDefault();
      this.close();
    }
  };

  #submit(): void {
    const text = this.draft.trim();
    if (!text || !this.#session?.isReady || this.#session.isRunActive) return;
    this.draft = '';
    this.#stickToBottom = true;
    void this.#session.send(text);
  }

  #handleStop = () => void this.#session?.stop();

  #handleRetry = () => void this.#session?.retry();

  #handleToggleConversations = () => {
    if (this.view === 'conversations') {
      this.view = 'chat';
      return;
    }
    this.view = 'conversations';
    void this.#session?.loadConversations();
  };

  #handleNewChat = () => {
    this.view = 'chat';
    void this.#session?.setConversation(null);
    this.#focusAfterRender = 'input';
  };

  #handleLoadEarlier = async () => {
    const log = this.#log;
    const session = this.#session;
    if (!session) return;
    // Older messages go above: the reader keeps their place.
    this.#restoreAnchor = log ? { fromBottom: log.scrollHeight - log.scrollTop, firstSeq: session.transcript.firstSeq } : undefined;
    await session.loadEarlier();
    await this.updateComplete;
    this.#restoreAnchor = undefined;
  };

  #handleScroll = () => {
    const log = this.#log;
    if (!log) return;
    const isAtBottom = log.scrollHeight - log.scrollTop - log.clientHeight <= BOTTOM_SLACK_PX;
    if (isAtBottom !== this.isAtBottom) this.isAtBottom = isAtBottom;
  };

  #handleJump = () => {
    const log = this.#log;
    if (log) log.scrollTop = log.scrollHeight;
    this.isAtBottom = true;
  };

  #handleCopy = (text: string, button: HTMLButtonElement) => {
    const catalog = this.#catalog;
    void navigator.clipboard?.writeText(text).then(
      () => {
        button.textContent = catalog.copied;
        setTimeout(() => {
          button.textContent = catalog.copy;
        }, 1500);
      },
      () => {},
    );
  };

  // --- session

  #scheduleConnect(): void {
    // Attributes often arrive one by one (frameworks, `setAttribute` calls): connect once they settled.
    clearTimeout(this.#connectTimer);
    this.#connectTimer = setTimeout(() => this.#connect(), 0);
  }

  #connect(): void {
    this.#session?.dispose();
    const session = new ChatSession(
      {
        server: this.server,
        agentId: this.agent || undefined,
        conversation: this.conversation || undefined,
        publishableKey: this.publishableKey || undefined,
        token: this.token || undefined,
        tokenProvider: this.tokenProvider,
      },
      {
        onChange: () => {
          if (this.#session === session) this.requestUpdate();
        },
        onReady: (conversationId) => this.dispatchEvent(new MetisReadyEvent(conversationId)),
        onError: (error, isFatal) => this.dispatchEvent(new MetisErrorEvent(error.code, error.message, isFatal)),
        onConversationChange: (conversationId) => this.dispatchEvent(new MetisConversationChangeEvent(conversationId)),
        onRunStart: (conversationId) => {
          this.announcement = this.#catalog.runStarted;
          this.dispatchEvent(new MetisRunStartEvent(conversationId));
        },
        onRunEnd: (conversationId, state, reason) => {
          this.announcement = state === 'error' ? this.#catalog.runFailed : state === 'stopped' ? this.#catalog.stopped : this.#catalog.runEnded;
          this.dispatchEvent(new MetisRunEndEvent(conversationId, state, reason ?? null));
          if (state === 'awaiting_confirmation') this.#focusAfterRender = 'approve';
        },
        onMessage: (message) => {
          if (message.role === 'assistant' && message.content !== '' && !this.#isPanelOpen) this.unread += 1;
          this.dispatchEvent(new MetisMessageEvent(message.conversation_id, message.role, message.content, message.seq));
        },
        onSendFailed: (text) => {
          if (this.draft === '') this.draft = text;
        },
      },
    );
    this.#session = session;
    session.setPageVisible(document.visibilityState !== 'hidden');
    session.setPanelOpen(this.#isPanelOpen);
    void session.start();
  }

  // --- helpers

  get #isPanelOpen(): boolean {
    return this.mode !== 'launcher' || this.isOpen;
  }

  get #language(): Language {
    return resolveLanguage(this.locale);
  }

  get #catalog(): Catalog {
    return CATALOGS[this.#language];
  }

  get #log(): HTMLElement | null {
    return this.renderRoot?.querySelector<HTMLElement>('.log') ?? null;
  }

  get #input(): HTMLTextAreaElement | null {
    return this.renderRoot?.querySelector('textarea') ?? null;
  }

  get #launcher(): HTMLButtonElement | null {
    return this.renderRoot?.querySelector('.launcher') ?? null;
  }

  #markdownContext: MarkdownContext | undefined;

  #itemContext(catalog: Catalog): ItemContext {
    const imageHosts = (this.imageHosts ?? '')
      .split(/[\s,]+/)
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean);
    const key = `${this.#language}|${imageHosts.join(',')}`;
    if (this.#markdownContext?.key !== key) {
      this.#markdownContext = { imageHosts, copyLabel: catalog.copy, imageBlocked: catalog.imageBlocked, onCopy: this.#handleCopy, key };
    }
    return { catalog, markdown: this.#markdownContext, runState: this.#session?.transcript.state };
  }

  #syncViewport(): void {
    const visual = window.visualViewport;
    if (!this.isSmallScreen || !this.#isPanelOpen || this.mode !== 'launcher' || !visual) {
      if (this.viewport) this.viewport = undefined;
      return;
    }
    const next = { top: Math.round(visual.offsetTop), height: Math.round(visual.height) };
    if (next.top !== this.viewport?.top || next.height !== this.viewport?.height) this.viewport = next;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'metis-chat': MetisChat;
  }
}

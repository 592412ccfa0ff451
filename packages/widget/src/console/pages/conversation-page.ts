import { css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { virtualize } from '@lit-labs/virtualizer/virtualize.js';
import type { Agent, Conversation } from '@metisai/sdk';
import { ChatSession } from '../../shared/chat/chat-session.ts';
import type { ToolItem, TranscriptItem } from '../../shared/chat/transcript.ts';
import { composerStyles } from '../../shared/composer/composer.styles.ts';
import { renderApproval, renderComposer, renderNotice, renderOffline, renderRunStatus, sessionAttachments } from '../../shared/composer/composer.ts';
import type { MarkdownContext } from '../../shared/markdown/render-markdown.ts';
import type { ItemContext } from '../../shared/message-list/item-context.ts';
import { renderMessageList, type ItemLayout } from '../../shared/message-list/message-list.ts';
import { messageListStyles } from '../../shared/message-list/message-list.styles.ts';
import { authStore } from '../app/auth-store.ts';
import { ConsolePage } from '../app/console-page.ts';
import { conversationTitle } from '../parts/conversation-title.ts';
import { FormErrors } from '../parts/form-errors.ts';
import { copyText } from '../parts/format.ts';
import '../parts/changes-pane.ts';
import '../parts/files-pane.ts';
import '../parts/terminal-pane.ts';
import { renderWorkspaceEvent, workspaceEventStyles } from '../parts/workspace-event.ts';
import { consoleStyles } from '../styles/console.styles.ts';

/** Stored events per page of history: the whole log is loaded in pages this size, newest first. */
const HISTORY_PAGE_SIZE = 1000;
const BOTTOM_SLACK_PX = 32;

/**
 * Only the visible items are rendered (`@lit-labs/virtualizer`): transcripts of 10,000 events stay responsive. `after`
 * adds the console's own controls under an item.
 */
const virtualLayout =
  (after: (item: TranscriptItem) => unknown): ItemLayout =>
  (items, render) =>
    html`<div class="virtual-items">
      ${virtualize({
        items: [...items],
        keyFunction: (item) => item.key,
        renderItem: (item) => html`<div class="virtual-item">${render(item)}${after(item)}</div>`,
      })}
    </div>`;

/**
 * The `seq` a "fork from here" on `item` forks at: a stored message's own, a tool step's observation (the step done,
 * with the files it left); `undefined` for what is not stored yet or still running.
 */
const forkSeqOf = (item: TranscriptItem): number | undefined =>
  item.kind === 'tool' ? item.observation?.seq : item.kind === 'user' || item.kind === 'assistant' ? item.seq : undefined;

/**
 * `/conversations/:id`: the work view. The chat (the shared message list, virtualized, and the shared composer with
 * stop and approve/reject) beside the terminal pane (every command and its output). It resumes after a reload from
 * the last stored event (the shared `ChatSession`), loads the whole log in pages of 1000, and can be renamed.
 */
export class ConversationPage extends ConsolePage {
  static override styles = [
    ...consoleStyles,
    messageListStyles,
    composerStyles,
    workspaceEventStyles,
    css`
      .work {
        display: grid;
        grid-template-columns: minmax(0, 1.2fr) minmax(0, 1fr);
        grid-template-rows: auto auto minmax(0, 1fr);
        gap: 0 16px;
        height: calc(100dvh - 58px);
        padding: 12px 20px 16px;
      }
      .head {
        grid-column: 1 / -1;
        margin-bottom: 10px;
      }
      .head h1 {
        font-size: 20px;
      }
      .chat,
      .panes {
        display: flex;
        flex-direction: column;
        min-height: 0;
        border: 1px solid var(--_border);
        border-radius: 10px;
        background: var(--_bg);
        overflow: hidden;
      }
      .virtual-items {
        width: 100%;
      }
      /*
       * Each item in a column of its own (the virtualizer positions them): the user's messages keep to the right. The
       * gap under an item holds its "fork from here" button (24 px high), so that the button covers neither item.
       */
      .virtual-item {
        display: flex;
        flex-direction: column;
        width: 100%;
        padding-bottom: 30px;
      }
      .log {
        gap: 0;
      }
      /*
       * In the gap under its item, on its side, shown while the item is pointed at or the button has focus. Out of the
       * flow: an item's height is the same whether its button shows or not (the virtualizer measures items once).
       */
      .virtual-item {
        position: relative;
      }
      .virtual-item > .fork {
        position: absolute;
        bottom: 3px;
        left: 0;
        z-index: 1;
        min-height: 24px;
        padding: 0 10px;
        font-size: 12px;
        opacity: 0;
      }
      .virtual-item > .fork.end {
        left: auto;
        right: 0;
      }
      .virtual-item:hover > .fork,
      .virtual-item > .fork:focus-visible {
        opacity: 1;
      }
      .pane-tabs {
        display: flex;
        gap: 2px;
        margin: 0;
        padding: 6px 8px 0;
        border-bottom: 1px solid var(--_border);
        list-style: none;
      }
      .pane-tabs button {
        padding: 6px 12px;
        border: 0;
        border-bottom: 2px solid transparent;
        background: transparent;
        color: var(--_muted);
        font-weight: var(--_semibold, 600);
      }
      .pane-tabs button[aria-selected='true'] {
        border-bottom-color: var(--_accent);
        color: var(--_fg);
      }
      metis-terminal-pane,
      metis-changes-pane,
      metis-files-pane {
        flex: 1;
        min-height: 0;
      }
      [hidden] {
        display: none !important;
      }
      .head-error {
        grid-column: 1 / -1;
      }
      .head-error .alert {
        margin-bottom: 8px;
      }
      .rename {
        display: flex;
        gap: 6px;
        flex: 1;
      }
      @media (max-width: 899.98px) {
        .work {
          grid-template-columns: minmax(0, 1fr);
          grid-template-rows: auto auto minmax(420px, 70dvh) minmax(320px, 50dvh);
          height: auto;
          gap: 0;
          padding: 12px;
        }
        /* No row gap: the error row is empty most of the time (two gaps around it left a hole under the head). */
        .chat {
          margin-bottom: 12px;
        }
      }
    `,
  ];

  static override properties = {
    ...ConsolePage.properties,
    conversation: { state: true },
    agent: { state: true },
    draft: { state: true },
    isAtBottom: { state: true },
    isRenaming: { state: true },
    errors: { state: true },
    announcement: { state: true },
    pane: { state: true },
    revision: { state: true },
    uploadLimitBytes: { state: true },
    isForking: { state: true },
  };
  declare conversation: Conversation | undefined;
  declare agent: Agent | undefined;
  declare draft: string;
  declare isAtBottom: boolean;
  declare isRenaming: boolean;
  declare errors: FormErrors;
  declare announcement: string;
  /** The pane shown beside the chat. */
  declare pane: 'terminal' | 'changes' | 'files';
  /** Bumped when a run ends: the changes and files panes load again. */
  declare revision: number;
  declare uploadLimitBytes: number | undefined;
  /** A fork is being made (its buttons wait). */
  declare isForking: boolean;
  /** Panes shown at least once (rendered from then on, so they keep their state; loaded only when first shown). */
  #openedPanes = new Set<string>(['terminal']);

  #session: ChatSession | undefined;
  #titleShown = '';
  #stickToBottom = true;
  #markdown: MarkdownContext | undefined;
  #listeners: Array<[EventTarget, string, EventListener]> = [];

  constructor() {
    super();
    this.draft = '';
    this.isAtBottom = true;
    this.isRenaming = false;
    this.errors = FormErrors.none;
    this.announcement = '';
    this.pane = 'terminal';
    this.revision = 0;
    this.isForking = false;
  }

  get pageTitle(): string {
    return this.conversation ? this.#title(this.conversation) : this.app.text.untitled;
  }

  /** The heading: a fork says so, named by its first message when it has no title (`conversationTitle`). */
  #title(conversation: Conversation): string {
    const first = this.#session?.transcript.items.find((item) => item.kind === 'user');
    return conversationTitle(conversation, this.app.text, first?.kind === 'user' ? first.content : undefined);
  }

  /** The shared session (for tests and the shell): its transcript is what the view shows. */
  get session(): ChatSession | undefined {
    return this.#session;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const on = (target: EventTarget, type: string, listener: EventListener) => {
      target.addEventListener(type, listener);
      this.#listeners.push([target, type, listener]);
    };
    on(window, 'online', () => this.#session?.setOnline(true));
    on(window, 'offline', () => this.#session?.setOnline(false));
    on(document, 'visibilitychange', () => this.#session?.setPageVisible(document.visibilityState === 'visible'));
    on(document, 'resume', () => this.#session?.resume());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const [target, type, listener] of this.#listeners.splice(0)) target.removeEventListener(type, listener);
    this.#session?.dispose();
    this.#session = undefined;
  }

  protected override async load(): Promise<void> {
    const id = this.params.id!;
    if (this.#session && this.conversation?.id === id) return;
    this.#session?.dispose();
    this.#session = undefined;
    this.conversation = undefined;
    this.errors = FormErrors.none;
    // The pane shown is kept in the URL (`?pane=changes|files`), so a reload or a shared link opens it again.
    const pane = new URLSearchParams(this.params.search ?? '').get('pane');
    this.#openedPanes = new Set(['terminal']);
    this.pane = 'terminal';
    if (pane === 'changes' || pane === 'files') this.#showPane(pane);
    let conversation: Conversation;
    try {
      conversation = await this.app.client.conversations.get(id);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
      return;
    }
    this.conversation = conversation;
    this.app.setTitle(this.pageTitle);
    const session = new ChatSession(
      {
        server: this.app.origin,
        agentId: conversation.agent_id ?? undefined,
        conversation: id,
        publishableKey: undefined,
        token: authStore.token,
        tokenProvider: undefined,
      },
      {
        onChange: () => {
          if (this.#session === session) this.requestUpdate();
        },
        onReady: () => void this.#loadWholeLog(session),
        onError: (error, isFatal) => {
          if (isFatal && error.code === 'unauthorized') this.app.signedOut();
        },
        onConversationChange: () => {},
        onRunStart: () => {
          this.announcement = this.app.catalog.runStarted;
        },
        onRunEnd: (_id, state) => {
          this.announcement = state === 'error' ? this.app.catalog.runFailed : state === 'stopped' ? this.app.catalog.stopped : this.app.catalog.runEnded;
          this.revision += 1;
          void this.#refreshConversation();
        },
        onMessage: () => {},
        onSendFailed: (text) => {
          if (this.draft === '') this.draft = text;
        },
      },
      { historyPageSize: HISTORY_PAGE_SIZE, remember: false },
    );
    this.#session = session;
    session.setPageVisible(document.visibilityState !== 'hidden');
    // The work view keeps its stream open while shown (a run's output, approvals from elsewhere).
    session.setPanelOpen(true);
    void session.start().then(() => {
      this.agent = session.agent as Agent | undefined;
    });
  }

  /** Older pages, until the first event: the terminal and search see the whole conversation. */
  async #loadWholeLog(session: ChatSession): Promise<void> {
    while (this.#session === session && session.hasEarlier) {
      const before = session.transcript.firstSeq;
      await session.loadEarlier();
      if (session.transcript.firstSeq === before) break;
    }
  }

  async #refreshConversation(): Promise<void> {
    try {
      this.conversation = await this.app.client.conversations.get(this.params.id!);
    } catch {
      // Kept as it was.
    }
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    const log = this.#log;
    this.#stickToBottom = !log || log.scrollHeight - log.scrollTop - log.clientHeight <= BOTTOM_SLACK_PX;
  }

  protected override updated(): void {
    super.updated();
    // A fork's title waits for its first message (`#title`): the page's title follows the heading.
    if (this.conversation && this.pageTitle !== this.#titleShown) {
      this.#titleShown = this.pageTitle;
      this.app.setTitle(this.#titleShown);
    }
    const log = this.#log;
    if (log && this.#stickToBottom) {
      log.scrollTop = log.scrollHeight;
      // The virtualizer measures items after this render: stick again once it has.
      requestAnimationFrame(() => {
        if (this.#stickToBottom) log.scrollTop = log.scrollHeight;
      });
    }
  }

  get #log(): HTMLElement | null {
    return this.renderRoot?.querySelector<HTMLElement>('.log') ?? null;
  }

  #itemContext(): ItemContext {
    const catalog = this.app.catalog;
    const key = `${this.app.language}`;
    if (this.#markdown?.key !== key) {
      this.#markdown = {
        imageHosts: [],
        copyLabel: catalog.copy,
        imageBlocked: catalog.imageBlocked,
        onCopy: (text, button) =>
          void copyText(text).then((ok) => {
            if (!ok) return;
            button.textContent = catalog.copied;
            setTimeout(() => {
              button.textContent = catalog.copy;
            }, 1500);
          }),
        key,
      };
    }
    const words = this.app.text.repository;
    const language = this.app.language;
    return {
      catalog,
      markdown: this.#markdown,
      runState: this.#session?.transcript.state,
      renderWorkspace: (item) => renderWorkspaceEvent(item, words, language),
      // The owner sees why a run failed in the server's words too (a sandbox the driver refused, a model's error).
      showErrorMessages: true,
    };
  }

  override render(): TemplateResult {
    const text = this.app.text;
    const catalog = this.app.catalog;
    const conversation = this.conversation;
    if (!conversation) {
      return html`<div class="root">
        <div class="page"><h1>${text.titles.conversations}</h1>${this.errors.general ? this.errors.alert() : html`<p>${text.loading}</p>`}</div>
      </div>`;
    }
    const session = this.#session;
    const transcript = session?.transcript;
    const items = transcript?.items ?? [];
    const commands = items.filter((item): item is ToolItem => item.kind === 'tool' && item.tool === 'execute_bash');
    const state = transcript?.state ?? conversation.state;
    return html`<div class="root">
      <div class="work">
        <div class="head">
          ${
            this.isRenaming
              ? html`<form class="rename" @submit=${this.#handleRename}>
                <label class="sr-only" for="title">${text.newTitle}</label>
                <input id="title" name="title" .value=${conversation.title ?? ''} />
                <button type="submit" class="button primary small">${text.save}</button>
                <button type="button" class="button small" @click=${() => {
                  this.isRenaming = false;
                }}>${text.cancel}</button>
              </form>`
              : html`<h1>${this.#title(conversation)}</h1>
                <button type="button" class="button small" data-action="rename" @click=${this.#handleRenameOpen}>${text.rename}</button>`
          }
          <span class="badge" data-state=${state} data-conversation-state>${text.states[state] ?? state}</span>
          ${this.agent ? html`<a href=${`/agents/${this.agent.id}`}>${this.agent.name}</a>` : html`<span class="hint">${text.usesSettings}</span>`}
          ${
            session?.isRunActive
              ? html`<button type="button" class="button danger small" data-action="stop" @click=${() => session.stop()}>${text.stop}</button>`
              : nothing
          }
          <button type="button" class="button small" data-action="export" @click=${this.#handleExport}>${text.exportConversation}</button>
          ${
            conversation.forked_from
              ? html`<span class="hint" data-forked-from>${text.forkedFrom}
                <a href=${`/conversations/${conversation.forked_from.conversation_id}`}>${text.forkedFromStep(conversation.forked_from.seq)}</a></span>`
              : nothing
          }
        </div>
        <div class="head-error">${this.errors.general ? this.errors.alert() : nothing}</div>
        <section class="chat" aria-label=${catalog.title}>
          ${renderMessageList({
            items,
            context: this.#itemContext(),
            label: catalog.title,
            isBusy: transcript?.activeItem?.kind === 'assistant',
            layout: virtualLayout(this.#renderForkButton),
            isAwayFromBottom: !this.isAtBottom,
            onJump: this.#handleJump,
            onScroll: this.#handleScroll,
          })}
          <div class="sr-only" role="status">${this.announcement}</div>
          ${renderOffline(session, catalog)} ${renderRunStatus(session, catalog)} ${renderNotice(session, catalog, () => void session?.retry())}
          ${renderApproval(session, catalog)}
          ${renderComposer({
            catalog,
            draft: this.draft,
            placeholder: catalog.placeholder,
            isDisabled: !session?.isReady || session.isAgentOffline || Boolean(session.fatalError),
            isRunning: session?.isRunActive ?? false,
            // The limit's line is there from the first render (its text once server-info answers): a line appearing
            // later changed the transcript's height and upset its scrolling to the first message (the 10,000-event test).
            attachments: session && { ...sessionAttachments(session)!, isLimitLineShown: true },
            onInput: (value) => {
              this.draft = value;
            },
            onSubmit: this.#handleSubmit,
            onStop: () => void session?.stop(),
          })}
        </section>
        <section class="panes" aria-label=${text.panes[this.pane]}>
          <div class="pane-tabs" role="tablist" aria-label=${text.panes.terminal}>
            ${(['terminal', 'changes', 'files'] as const).map(
              (pane) =>
                html`<button
                  type="button"
                  role="tab"
                  id=${`tab-${pane}`}
                  aria-selected=${this.pane === pane ? 'true' : 'false'}
                  aria-controls=${`pane-${pane}`}
                  tabindex=${this.pane === pane ? '0' : '-1'}
                  data-pane=${pane}
                  @click=${() => this.#showPane(pane)}
                  @keydown=${this.#handleTabKey}
                >
                  ${text.panes[pane]}
                </button>`,
            )}
          </div>
          <metis-terminal-pane
            id="pane-terminal"
            role="tabpanel"
            aria-labelledby="tab-terminal"
            ?hidden=${this.pane !== 'terminal'}
            .items=${commands}
            .text=${text}
            theme=${this.theme}
          ></metis-terminal-pane>
          ${
            this.#openedPanes.has('changes')
              ? html`<metis-changes-pane
                id="pane-changes"
                role="tabpanel"
                aria-labelledby="tab-changes"
                ?hidden=${this.pane !== 'changes'}
                .client=${this.app.client}
                .conversationId=${conversation.id}
                .revision=${this.revision}
                .text=${text}
                theme=${this.theme}
              ></metis-changes-pane>`
              : nothing
          }
          ${
            this.#openedPanes.has('files')
              ? html`<metis-files-pane
                id="pane-files"
                role="tabpanel"
                aria-labelledby="tab-files"
                ?hidden=${this.pane !== 'files'}
                .client=${this.app.client}
                .conversationId=${conversation.id}
                .revision=${this.revision}
                .text=${text}
                .catalog=${catalog}
                .uploadLimitBytes=${this.uploadLimitBytes}
                theme=${this.theme}
              ></metis-files-pane>`
              : nothing
          }
        </section>
      </div>
    </div>`;
  }

  #showPane(pane: 'terminal' | 'changes' | 'files'): void {
    this.#openedPanes.add(pane);
    this.pane = pane;
    const url = new URL(location.href);
    if (pane === 'terminal') url.searchParams.delete('pane');
    else url.searchParams.set('pane', pane);
    if (url.search !== location.search) history.replaceState(history.state, '', url.pathname + url.search);
    if (pane === 'files' && this.uploadLimitBytes === undefined) {
      void this.app.client.serverInfo.get().then(
        (info) => {
          this.uploadLimitBytes = info.upload_limit_bytes;
        },
        () => {},
      );
    }
  }

  /** Arrow keys move between the pane tabs (the tab pattern of WAI-ARIA). */
  #handleTabKey = (event: KeyboardEvent) => {
    const panes = ['terminal', 'changes', 'files'] as const;
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = panes[(panes.indexOf(this.pane) + step + panes.length) % panes.length]!;
    this.#showPane(next);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${next}`)?.focus());
  };

  /** Under each stored message and finished step: fork the conversation there (`POST …/fork`) and open the fork. */
  #renderForkButton = (item: TranscriptItem): unknown => {
    const seq = forkSeqOf(item);
    if (seq === undefined) return nothing;
    const text = this.app.text;
    return html`<button
      type="button"
      class=${item.kind === 'user' ? 'button small fork end' : 'button small fork'}
      data-action="fork"
      data-seq=${seq}
      ?disabled=${this.isForking}
      @click=${() => void this.#handleFork(seq)}
    >
      ${text.forkFromHere}<span class="sr-only">${text.forkFromHereAt(seq)}</span>
    </button>`;
  };

  #handleFork = async (seq: number) => {
    if (this.isForking) return;
    this.isForking = true;
    try {
      const fork = await this.app.client.conversations.fork(this.params.id!, { at_seq: seq });
      this.app.navigate(`/conversations/${fork.id}`);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    } finally {
      this.isForking = false;
    }
  };

  /** The conversation as an export document (`GET …/export`), saved as a JSON file. */
  #handleExport = async () => {
    try {
      const document_ = await this.app.client.conversations.export(this.params.id!);
      const url = URL.createObjectURL(new Blob([JSON.stringify(document_, null, 2)], { type: 'application/json' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `conversation-${this.params.id}.json`;
      this.renderRoot.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, []);
    }
  };

  #handleSubmit = () => {
    const session = this.#session;
    const content = this.draft.trim();
    if (!content || !session?.isReady || session.isRunActive) return;
    this.draft = '';
    this.#stickToBottom = true;
    void session.send(content);
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

  #handleRenameOpen = async () => {
    this.isRenaming = true;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLInputElement>('#title')?.focus();
  };

  #handleRename = async (event: SubmitEvent) => {
    event.preventDefault();
    const title = String(new FormData(event.target as HTMLFormElement).get('title') ?? '').trim();
    try {
      this.conversation = await this.app.client.conversations.update(this.params.id!, { title: title || null });
      this.isRenaming = false;
      this.app.setTitle(this.pageTitle);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('h1')?.focus();
    } catch (error) {
      this.errors = FormErrors.from(error, this.app.catalog, ['title']);
    }
  };
}

if (!customElements.get('metis-conversation-page')) customElements.define('metis-conversation-page', ConversationPage);

import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { virtualize, virtualizerRef } from '@lit-labs/virtualizer/virtualize.js';
import type { ToolItem } from '../../shared/chat/transcript.ts';
import { baseStyles } from '../../shared/styles/base.styles.ts';
import { tokenStyles } from '../../shared/styles/tokens.styles.ts';
import type { ConsoleCatalog } from '../i18n/console-messages.ts';
import { ansiText, parseAnsi } from './ansi.ts';
import { copyText } from './format.ts';

/** One command of the conversation, as the terminal shows it. */
interface TerminalEntry {
  key: string;
  command: string;
  /** Output so far (live) or stored, escapes included. */
  output: string;
  exitCode: number | null | undefined;
  isRunning: boolean;
}

/** The reader counts as at the bottom within this distance (px). */
const BOTTOM_SLACK_PX = 32;

/** The 16 terminal colours (xterm's defaults, readable on both themes' backgrounds). */
const palette = css`
  .fg-0 { color: #6e7781; } .fg-1 { color: #d1242f; } .fg-2 { color: #1a7f37; } .fg-3 { color: #9a6700; }
  .fg-4 { color: #0969da; } .fg-5 { color: #8250df; } .fg-6 { color: #1b7c83; } .fg-7 { color: #6e7781; }
  .fg-8 { color: #57606a; } .fg-9 { color: #cf222e; } .fg-10 { color: #116329; } .fg-11 { color: #7d4e00; }
  .fg-12 { color: #218bff; } .fg-13 { color: #a475f9; } .fg-14 { color: #3192aa; } .fg-15 { color: #57606a; }
  :host([theme='dark']) .fg-0 { color: #8b949e; } :host([theme='dark']) .fg-1 { color: #ff7b72; }
  :host([theme='dark']) .fg-2 { color: #7ee787; } :host([theme='dark']) .fg-3 { color: #e3b341; }
  :host([theme='dark']) .fg-4 { color: #79c0ff; } :host([theme='dark']) .fg-5 { color: #d2a8ff; }
  :host([theme='dark']) .fg-6 { color: #56d4dd; } :host([theme='dark']) .fg-7 { color: #c9d1d9; }
  :host([theme='dark']) .fg-8 { color: #8b949e; } :host([theme='dark']) .fg-9 { color: #ffa198; }
  :host([theme='dark']) .fg-10 { color: #aff5b4; } :host([theme='dark']) .fg-11 { color: #f8e3a1; }
  :host([theme='dark']) .fg-12 { color: #a5d6ff; } :host([theme='dark']) .fg-13 { color: #e2c5ff; }
  :host([theme='dark']) .fg-14 { color: #b3f0ff; } :host([theme='dark']) .fg-15 { color: #f0f6fc; }
  .bg-0, .bg-8 { background: #d0d7de; } .bg-1, .bg-9 { background: #ffebe9; } .bg-2, .bg-10 { background: #dafbe1; }
  .bg-3, .bg-11 { background: #fff8c5; } .bg-4, .bg-12 { background: #ddf4ff; } .bg-5, .bg-13 { background: #fbefff; }
  .bg-6, .bg-14 { background: #dbfcf5; } .bg-7, .bg-15 { background: #eaeef2; }
  :host([theme='dark']) [class*='bg-'] { background: #30363d; }
  .bold { font-weight: 700; }
`;

/**
 * `<metis-terminal-pane>`: every command of a conversation with its output, as in a terminal: ANSI colours rendered
 * (`parseAnsi`), scroll-back over the whole conversation (only the visible commands are rendered), copy of everything,
 * and search with next/previous. It follows new output while the reader is at the bottom.
 */
export class TerminalPane extends LitElement {
  static override styles = [
    tokenStyles,
    baseStyles,
    palette,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        height: 100%;
      }
      .root {
        display: flex;
        flex-direction: column;
        min-height: 0;
      }
      .tools {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
        padding: 8px;
        border-bottom: 1px solid var(--_border);
      }
      .tools input {
        flex: 1;
        min-width: 120px;
        min-height: 32px;
        padding: 4px 8px;
        border: 1px solid var(--_border);
        border-radius: 6px;
        background: var(--_bg);
        color: var(--_fg);
        font: inherit;
        font-size: 14px;
      }
      .tools button {
        min-height: 32px;
        padding: 2px 10px;
        border: 1px solid var(--_border);
        border-radius: 6px;
        background: var(--_bg);
        font-size: 13px;
      }
      .count {
        color: var(--_muted);
        font-size: 12px;
      }
      .screen {
        flex: 1;
        min-height: 0;
        overflow: auto;
        padding: 8px 10px;
        background: var(--_code-bg);
        font-family: var(--_mono);
        font-size: 13px;
        line-height: 1.45;
      }
      .entry {
        width: 100%;
        padding-bottom: 8px;
      }
      .prompt {
        color: var(--_accent);
        font-weight: 700;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      pre {
        margin: 0;
        font: inherit;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .exit {
        color: var(--_muted);
        font-size: 12px;
      }
      .exit.failed {
        color: var(--_danger);
      }
      mark {
        background: #ffd33d;
        color: #1b1f27;
      }
      mark.current {
        outline: 2px solid var(--_accent);
      }
      .empty {
        color: var(--_muted);
        font-family: var(--_font);
        font-style: italic;
      }
    `,
  ];

  static override properties = {
    items: { attribute: false },
    text: { attribute: false },
    theme: { reflect: true },
    query: { state: true },
    current: { state: true },
  };

  declare items: readonly ToolItem[];
  declare text: ConsoleCatalog;
  declare theme: string;
  declare query: string;
  declare current: number;
  #stick = true;
  #entries: TerminalEntry[] = [];
  #entriesOf: readonly ToolItem[] | undefined;

  constructor() {
    super();
    this.items = [];
    this.theme = 'light';
    this.query = '';
    this.current = 0;
  }

  get #screen(): HTMLElement | null {
    return this.renderRoot?.querySelector('.screen') ?? null;
  }

  /** Entries, rebuilt only when the transcript's commands changed. */
  get entries(): TerminalEntry[] {
    if (this.#entriesOf !== this.items) {
      this.#entriesOf = this.items;
      this.#entries = this.items.map((item) => ({
        key: item.key,
        command: typeof item.args.command === 'string' ? item.args.command : '',
        output: item.observation ? item.observation.content : item.liveOutput,
        exitCode: item.observation?.exit_code,
        isRunning: !item.observation,
      }));
    }
    return this.#entries;
  }

  /** Indexes of the entries whose command or output contains the query (case-insensitive). */
  get #matches(): number[] {
    const query = this.query.trim().toLowerCase();
    if (!query) return [];
    const matches: number[] = [];
    this.entries.forEach((entry, index) => {
      if (entry.command.toLowerCase().includes(query) || ansiText(entry.output).toLowerCase().includes(query)) matches.push(index);
    });
    return matches;
  }

  protected override willUpdate(): void {
    const screen = this.#screen;
    this.#stick = !screen || screen.scrollHeight - screen.scrollTop - screen.clientHeight <= BOTTOM_SLACK_PX;
  }

  protected override updated(changed: PropertyValues<this>): void {
    const screen = this.#screen;
    if (screen && this.#stick && changed.has('items') && !this.query) screen.scrollTop = screen.scrollHeight;
  }

  override render(): TemplateResult {
    const text = this.text;
    const entries = this.entries;
    const matches = this.#matches;
    const current = Math.min(this.current, Math.max(0, matches.length - 1));
    return html`<div class="root">
      <div class="tools">
        <label class="sr-only" for="terminal-search">${text.searchTerminal}</label>
        <input id="terminal-search" type="search" placeholder=${text.searchTerminal} .value=${this.query} @input=${this.#handleQuery} @keydown=${this.#handleSearchKey} />
        ${
          this.query
            ? html`<span class="count" aria-live="polite" data-matches=${matches.length}>${text.matches(matches.length ? current + 1 : 0, matches.length)}</span>
              <button type="button" @click=${() => this.#step(-1)} ?disabled=${matches.length === 0}>${text.previous}</button>
              <button type="button" @click=${() => this.#step(1)} ?disabled=${matches.length === 0}>${text.next}</button>`
            : nothing
        }
        <button type="button" data-action="copy-terminal" @click=${this.#handleCopy}>${text.copyAll}</button>
      </div>
      <div class="screen" tabindex="0" role="log" aria-label=${text.panes.terminal} @scroll=${() => this.requestUpdate()}>
        ${
          entries.length === 0
            ? html`<p class="empty">${text.terminalEmpty}</p>`
            : virtualize({
                scroller: true,
                items: entries,
                keyFunction: (entry: TerminalEntry) => entry.key,
                renderItem: (entry: TerminalEntry, index: number) => this.#renderEntry(entry, matches[current] === index),
              })
        }
      </div>
    </div>`;
  }

  #renderEntry(entry: TerminalEntry, isCurrent: boolean): TemplateResult {
    const query = this.query.trim();
    return html`<div class="entry" data-terminal-entry=${entry.key} data-running=${entry.isRunning ? 'true' : 'false'}>
      <div class="prompt">$ ${query ? this.#highlight(entry.command, query, isCurrent) : entry.command}</div>
      <pre>${query ? this.#highlight(ansiText(entry.output), query, isCurrent) : this.#colored(entry.output)}</pre>
      ${
        typeof entry.exitCode === 'number'
          ? html`<div class="exit ${entry.exitCode === 0 ? '' : 'failed'}" data-exit-code=${entry.exitCode}>${this.text.exitCode(entry.exitCode)}</div>`
          : nothing
      }
    </div>`;
  }

  #colored(output: string): unknown {
    return parseAnsi(output).map((segment) => {
      const classes = [
        segment.fg === undefined ? '' : `fg-${segment.fg}`,
        segment.bg === undefined ? '' : `bg-${segment.bg}`,
        segment.bold ? 'bold' : '',
      ].filter(Boolean);
      return classes.length === 0 ? segment.text : html`<span class=${classes.join(' ')}>${segment.text}</span>`;
    });
  }

  #highlight(text: string, query: string, isCurrent: boolean): unknown {
    const lower = text.toLowerCase();
    const needle = query.toLowerCase();
    const parts: unknown[] = [];
    let index = 0;
    for (let found = lower.indexOf(needle); found >= 0; found = lower.indexOf(needle, index)) {
      parts.push(text.slice(index, found), html`<mark class=${isCurrent ? 'current' : ''}>${text.slice(found, found + needle.length)}</mark>`);
      index = found + needle.length;
    }
    parts.push(text.slice(index));
    return parts;
  }

  #handleQuery = (event: Event) => {
    this.query = (event.target as HTMLInputElement).value;
    this.current = 0;
    void this.updateComplete.then(() => this.#reveal());
  };

  #handleSearchKey = (event: KeyboardEvent) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      this.#step(event.shiftKey ? -1 : 1);
    }
  };

  #step(direction: 1 | -1): void {
    const total = this.#matches.length;
    if (total === 0) return;
    this.current = (this.current + direction + total) % total;
    void this.updateComplete.then(() => this.#reveal());
  }

  /** Scrolls the current match's command into view (the virtualizer renders it first). */
  #reveal(): void {
    const index = this.#matches[this.current];
    const screen = this.#screen as
      | (HTMLElement & { [virtualizerRef]?: { element(index: number): { scrollIntoView(options?: ScrollIntoViewOptions): void } | undefined } })
      | null;
    if (index === undefined || !screen) return;
    screen[virtualizerRef]?.element(index)?.scrollIntoView({ block: 'center' });
  }

  #handleCopy = async (event: Event) => {
    const button = event.currentTarget as HTMLButtonElement;
    const all = this.entries.map((entry) => `$ ${entry.command}\n${ansiText(entry.output)}`).join('\n');
    if (await copyText(all)) {
      button.textContent = this.text.copied;
      setTimeout(() => {
        button.textContent = this.text.copyAll;
      }, 1500);
    }
  };
}

if (!customElements.get('metis-terminal-pane')) customElements.define('metis-terminal-pane', TerminalPane);

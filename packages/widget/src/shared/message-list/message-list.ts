import { html, nothing, type TemplateResult } from 'lit';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import type { TranscriptItem } from '../chat/transcript.ts';
import type { ItemContext } from './item-context.ts';
import { renderItem } from './render-item.ts';

/**
 * How the list lays its items out: every item (`repeat`, the widget's default: it holds a few hundred at most), or a
 * layout that renders only what is visible (the console passes one built on `@lit-labs/virtualizer`). Each item's
 * template comes from `renderItem`, guarded by the item object and the markdown context, so an unchanged item is
 * never re-rendered.
 */
export type ItemLayout = (items: readonly TranscriptItem[], render: (item: TranscriptItem) => unknown) => unknown;

/** Every item, keyed (`repeat`). */
export const allItems: ItemLayout = (items, render) => repeat(items, (item) => item.key, render);

/** What the message list shows and does. */
export interface MessageListOptions {
  items: readonly TranscriptItem[];
  context: ItemContext;
  /** The list's accessible name. */
  label: string;
  /** An answer is streaming (`aria-busy`). */
  isBusy: boolean;
  layout?: ItemLayout;
  /** "Load earlier messages" is offered, and whether it is loading. */
  hasEarlier?: boolean;
  isLoadingEarlier?: boolean;
  onLoadEarlier?: () => void;
  /** Shown before the items (the widget's greeting in an empty chat). */
  before?: unknown;
  /** The reader is not at the bottom: "jump to latest" is offered. */
  isAwayFromBottom: boolean;
  onJump: () => void;
  onScroll: (event: Event) => void;
  /** Classes of the scrolling element beside `log`. */
  extraClass?: string;
}

const ICON_DOWN = 'M11 4h2v12l5-5 1.4 1.4L12 19.8l-7.4-7.4L6 11l5 5z';

/**
 * The one message list of `<metis-chat>` and the console: a scrolling `role="log"` of transcript items (messages,
 * reasoning, tool steps, run errors), with "load earlier messages" above and "jump to latest" over it. Styles:
 * `messageListStyles`.
 */
export function renderMessageList(options: MessageListOptions): TemplateResult {
  const { context, catalog } = { context: options.context, catalog: options.context.catalog };
  const layout = options.layout ?? allItems;
  return html`<div class="log-wrap">
    <div
      class="log ${options.extraClass ?? ''}"
      part="log"
      role="log"
      aria-label=${options.label}
      aria-busy=${options.isBusy ? 'true' : 'false'}
      tabindex="0"
      @scroll=${options.onScroll}
    >
      ${
        options.hasEarlier
          ? html`<button type="button" class="load-earlier" part="load-earlier" ?disabled=${options.isLoadingEarlier} @click=${options.onLoadEarlier}>
            ${catalog.loadEarlier}
          </button>`
          : nothing
      }
      ${options.before ?? nothing}
      ${layout(options.items, (item) =>
        // A step still without observation also changes with the run's state (running, or waiting for approval).
        guard([item, context.markdown.key, item.kind === 'tool' && !item.observation ? context.runState : ''], () => renderItem(item, context)),
      )}
    </div>
    ${
      options.isAwayFromBottom
        ? html`<button type="button" class="jump" part="jump-button" @click=${options.onJump}>
          <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"><path fill="currentColor" d=${ICON_DOWN}></path></svg>
          <span>${catalog.jumpToLatest}</span>
        </button>`
        : nothing
    }
  </div>`;
}
